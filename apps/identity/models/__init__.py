from apps.identity.models.users import User

__all__ = ["User"]

from apps.identity.models.roles import Role, RoleAssignment
from apps.identity.models.sessions import UserSession
from apps.identity.models.users import User

__all__ = ["Role", "RoleAssignment", "User", "UserSession"]

from django.db.models import QuerySet

from apps.identity.models import User


def super_admins() -> QuerySet[User]:
    """Whom to ask for access: the organisation's super admins."""
    return User.objects.filter(is_superuser=True, is_active=True).order_by("last_name", "username")

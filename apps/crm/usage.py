"""Usage metering of the CRM's plan limits."""

from django.db.models import Q

from apps.crm.constants import AREA
from apps.identity.models import User


def crm_users_count() -> int:
    """`crm.max_users`: active users holding at least one role that opens the CRM. The
    tenant's super admins open every app without a role and take no seat."""
    return (
        User.objects.filter(is_active=True)
        .filter(Q(role_assignments__role__areas__contains=[AREA]))
        .distinct()
        .count()
    )

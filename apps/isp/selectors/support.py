"""Reads of support: the staff queue, the agents and technicians who may be assigned, the
agent's saved views. Each is a fixed number of queries whatever the number of tickets."""

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from apps.isp.constants import AREA, TECH_AREA
from apps.isp.models import SavedTicketView, Ticket

__all__ = ["agents", "saved_views_of", "technicians", "ticket_queue"]

User = get_user_model()


def ticket_queue() -> QuerySet[Ticket]:
    """Tickets as the queue lists them: newest first, with who and for whom (one query)."""
    return Ticket.objects.select_related("customer", "assignee", "team").order_by(
        "-created_at", "-id"
    )


def _granted(area: str) -> QuerySet:
    return (
        User.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(role_assignments__role__areas__contains=[area]))
        .distinct()
        .order_by("username")
    )


def agents() -> QuerySet:
    """Users who work tickets: the ISP staff area's."""
    return _granted(AREA)


def technicians() -> QuerySet:
    """Users of the technician app (super admins aside: they dispatch, they do not climb)."""
    return (
        User.objects.filter(is_active=True, role_assignments__role__areas__contains=[TECH_AREA])
        .distinct()
        .order_by("username")
    )


def saved_views_of(user) -> QuerySet[SavedTicketView]:
    return SavedTicketView.objects.filter(Q(owner_id=user.pk) | Q(shared=True)).order_by("name")

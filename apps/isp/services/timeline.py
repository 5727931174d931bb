from apps.core.audit import resolve_actor
from apps.isp.models import Customer, TimelineEvent


def timeline_record(
    *, customer: Customer, kind: str, message: str, data: dict | None = None, actor=None
) -> TimelineEvent:
    """Add an entry to a customer's timeline (inside the caller's transaction)."""
    return TimelineEvent.objects.create(
        customer=customer,
        kind=kind,
        message=message[:300],
        data=data or {},
        actor=resolve_actor(actor).name[:150],
    )

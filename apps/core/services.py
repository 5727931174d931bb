from django.db import transaction

from apps.core.audit import audit_created
from apps.core.models import WorkerHeartbeat


@transaction.atomic
def heartbeat_record(*, source: str, schema_name: str, task_id: str) -> WorkerHeartbeat:
    """Record that a worker ran a task in `schema_name`. A retried task writes nothing new."""
    heartbeat, created = WorkerHeartbeat.objects.get_or_create(
        task_id=task_id, defaults={"source": source, "schema_name": schema_name}
    )
    if created:
        audit_created(heartbeat)
    return heartbeat

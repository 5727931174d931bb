"""Field work: work orders (installations, repairs, removals) with their slot, technician,
checklist, the parts they used, photos and the customer's signature, and every status change
they went through (each one applied once per idempotency key: a technician's phone on a
flaky connection sends the same change again). After Sonar's jobs, much reduced."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.isp.models.customers import Customer
from apps.isp.models.inventory import Device
from apps.isp.models.subscriptions import Service
from apps.isp.models.support import Ticket

__all__ = ["ChecklistItem", "WorkOrder", "WorkOrderEvent", "WorkOrderFile", "WorkOrderPart"]


class WorkOrder(models.Model):
    """A job for a technician at a customer's premises in a scheduled slot."""

    class Kind(models.TextChoices):
        INSTALLATION = "installation", "Installation"
        REPAIR = "repair", "Repair"
        REMOVAL = "removal", "Removal"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        EN_ROUTE = "en_route", "En route"
        ON_SITE = "on_site", "On site"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    kind = models.CharField(max_length=15, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="work_orders")
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, null=True, blank=True, related_name="work_orders"
    )
    ticket = models.ForeignKey(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="work_orders"
    )
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="isp_jobs",
    )  # fmt: skip
    slot_start = models.DateTimeField()
    slot_end = models.DateTimeField()
    instructions = models.TextField(max_length=5000, blank=True)
    notes = models.TextField(max_length=20_000, blank=True, help_text="The technician's notes.")
    failure_reason = models.CharField(max_length=500, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slot_start", "id"]
        indexes = [
            models.Index(fields=["technician", "slot_start"]),
            models.Index(fields=["status", "slot_start"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(slot_end__gt=models.F("slot_start")), name="isp_work_order_slot"
            ),
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(failure_reason=""),
                name="isp_work_order_failure_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.SCHEDULED, self.Status.EN_ROUTE, self.Status.ON_SITE)


class ChecklistItem(models.Model):
    """One step a technician ticks off on a job."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="checklist")
    position = models.PositiveSmallIntegerField(default=0)
    label = models.CharField(max_length=200)
    done = models.BooleanField(default=False)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["work_order", "position", "id"]

    def __str__(self):
        return self.label


class WorkOrderPart(models.Model):
    """What a job used: a device from inventory (a CPE becomes the service's) or a part."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="parts")
    device = models.ForeignKey(
        Device, on_delete=models.PROTECT, null=True, blank=True, related_name="work_order_parts"
    )
    description = models.CharField(max_length=200, blank=True)
    quantity = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["work_order", "device"], condition=Q(device__isnull=False),
                name="isp_work_order_part_device_once",
            ),
            models.CheckConstraint(
                condition=Q(device__isnull=False) | ~Q(description=""),
                name="isp_work_order_part_named",
            ),
        ]  # fmt: skip

    def __str__(self):
        return str(self.device) if self.device_id else self.description


def _job_upload(instance, filename: str) -> str:
    # Under the tenant's media prefix (django-tenants' per-tenant default storage).
    return f"field/jobs/{instance.work_order_id}/{filename}"


class WorkOrderFile(models.Model):
    """A photo taken on a job, or the customer's signature on completion."""

    class Kind(models.TextChoices):
        PHOTO = "photo", "Photo"
        SIGNATURE = "signature", "Signature"

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    file = models.FileField(upload_to=_job_upload, max_length=300)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} of job {self.work_order_id}"


class WorkOrderEvent(models.Model):
    """One status change of a job. Its idempotency key (the client's, per change) is unique:
    the same change sent again finds it and is not applied a second time."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=10, choices=WorkOrder.Status.choices)
    to_status = models.CharField(max_length=10, choices=WorkOrder.Status.choices)
    note = models.CharField(max_length=500, blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True)
    actor = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"], condition=~Q(idempotency_key=""),
                name="isp_work_order_event_key",
            ),
        ]  # fmt: skip

    def __str__(self):
        return f"{self.from_status} → {self.to_status}"

"""Support: tickets opened by customers (the portal), by staff and by outages; their public
replies and internal notes, attachments, the teams that work them, the SLA policies that time
them in business hours (and the tenant's business hours and holidays), and the staff's saved
views of the queue (after Zammad and osTicket, much reduced).

The SLA clock of a ticket is stored, never recomputed from the policy: `sla_elapsed_seconds`
is the business time the clock has run up to `sla_running_since` (None: paused or stopped).
A pause (waiting on the customer) banks what ran so far; a change of policy only moves the
due times computed from what is banked (GLPI #6902, Zammad #3140 lost the paused time by
recomputing from the ticket's age).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from apps.isp.models.customers import Customer
from apps.isp.models.inventory import Device
from apps.isp.models.subscriptions import Service

__all__ = [
    "BusinessHours",
    "Holiday",
    "SavedTicketView",
    "SlaPolicy",
    "SupportTeam",
    "Ticket",
    "TicketAttachment",
    "TicketReply",
]


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class SupportTeam(models.Model):
    """A group of agents tickets are assigned to (first line, NOC, field)."""

    name = models.CharField(max_length=100, unique=True)
    email = models.EmailField(blank=True, help_text="Where the team's notifications go.")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class BusinessHours(models.Model):
    """The hours one weekday is worked (in the installation's time zone). A weekday without a
    row is not worked; a tenant without any row works round the clock."""

    weekday = models.PositiveSmallIntegerField(
        unique=True,
        validators=[MinValueValidator(0), MaxValueValidator(6)],
        help_text="0 = Monday … 6 = Sunday.",
    )
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["weekday"]
        verbose_name_plural = "business hours"
        constraints = [
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="isp_hours_weekday"
            ),
            models.CheckConstraint(
                condition=Q(closes__gt=models.F("opens")), name="isp_hours_span"
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"

    def get_weekday_display(self):
        return ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[self.weekday]


class Holiday(models.Model):
    """A day off: no business time passes on it."""

    date = models.DateField(unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["date"]

    def __str__(self):
        return f"{self.name} ({self.date})"


class SlaPolicy(models.Model):
    """The targets of tickets of one priority: first response and resolution, in business
    minutes (or round-the-clock minutes), a warning at a share of the resolution target, and
    the team a breached ticket is escalated to."""

    name = models.CharField(max_length=100)
    priority = models.CharField(max_length=10, choices=Priority.choices, unique=True)
    first_response_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(525_600)]
    )
    resolution_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(525_600)]
    )
    business_hours_only = models.BooleanField(
        default=True, help_text="Count only business hours (else round the clock)."
    )
    warn_percent = models.PositiveSmallIntegerField(
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text="Warn when this share of the resolution target has passed.",
    )
    escalation_team = models.ForeignKey(
        SupportTeam, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        help_text="A breached ticket is handed to this team.",
    )  # fmt: skip
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["priority"]
        verbose_name_plural = "SLA policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(resolution_minutes__gte=models.F("first_response_minutes")),
                name="isp_sla_resolution_after_response",
            ),
        ]

    def __str__(self):
        return self.name


class Ticket(models.Model):
    """A support request: who it is about, what it is, who works it, and its SLA clock."""

    Priority = Priority

    class Status(models.TextChoices):
        NEW = "new", "New"
        OPEN = "open", "Open"
        WAITING = "waiting", "Waiting on customer"  # the SLA clock is paused
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Closed"  # merged into another one, or closed for good

    class Category(models.TextChoices):
        TECHNICAL = "technical", "Technical"
        BILLING = "billing", "Billing"
        INSTALLATION = "installation", "Installation"
        OUTAGE = "outage", "Outage"
        OTHER = "other", "Other"

    class Source(models.TextChoices):
        STAFF = "staff", "Staff"
        PORTAL = "portal", "Customer portal"
        OUTAGE = "outage", "Outage"

    subject = models.CharField(max_length=200)
    description = models.TextField(max_length=20_000, blank=True)
    category = models.CharField(max_length=15, choices=Category.choices, default="technical")
    priority = models.CharField(max_length=10, choices=Priority.choices, default="normal")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.STAFF)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets"
    )
    service = models.ForeignKey(
        Service, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets"
    )
    device = models.ForeignKey(
        Device, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets"
    )
    team = models.ForeignKey(
        SupportTeam, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="isp_tickets",
    )  # fmt: skip
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged"
    )
    # --- the SLA clock (services/sla.py keeps it) ---
    sla_policy = models.ForeignKey(
        SlaPolicy, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets"
    )
    sla_elapsed_seconds = models.PositiveIntegerField(
        default=0, editable=False, help_text="Business time the clock ran, up to sla_running_since."
    )
    sla_running_since = models.DateTimeField(null=True, blank=True, editable=False)
    sla_paused_seconds = models.PositiveIntegerField(
        default=0, editable=False, help_text="Wall-clock time spent waiting on the customer."
    )
    paused_at = models.DateTimeField(null=True, blank=True, editable=False)
    first_response_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolution_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    warn_at = models.DateTimeField(null=True, blank=True, editable=False)
    first_responded_at = models.DateTimeField(null=True, blank=True, editable=False)
    first_response_breached_at = models.DateTimeField(null=True, blank=True, editable=False)
    warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    breached_at = models.DateTimeField(null=True, blank=True, editable=False)
    escalated_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolved_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="isp_ticket_queue_order"),
            models.Index(fields=["status", "-created_at"]),
            models.Index(fields=["assignee", "status"]),
            models.Index(fields=["team", "status"]),
            models.Index(fields=["customer", "-created_at"]),
            models.Index(fields=["resolution_due_at"], condition=Q(breached_at__isnull=True),
                         name="isp_ticket_due_unbreached"),
            models.Index(fields=["warn_at"], condition=Q(warned_at__isnull=True),
                         name="isp_ticket_warn_pending"),
            models.Index(fields=["first_response_due_at"],
                         condition=Q(first_responded_at__isnull=True,
                                     first_response_breached_at__isnull=True),
                         name="isp_ticket_response_pending"),
        ]  # fmt: skip
        constraints = [
            models.CheckConstraint(
                condition=~Q(merged_into=models.F("pk")), name="isp_ticket_not_merged_into_self"
            ),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True) | Q(status="closed"),
                name="isp_ticket_merged_is_closed",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.subject}"

    @property
    def number(self) -> str:
        return f"#{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.NEW, self.Status.OPEN, self.Status.WAITING)


class TicketReply(models.Model):
    """One message on a ticket: a public reply (the customer sees it and is mailed it) or an
    internal note (staff only, never shown in the portal)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    author_name = models.CharField(max_length=150, blank=True)
    from_customer = models.BooleanField(default=False)
    internal = models.BooleanField(default=False, help_text="An internal note: staff only.")
    body = models.TextField(max_length=20_000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "ticket replies"
        constraints = [
            models.CheckConstraint(
                condition=Q(internal=False) | Q(from_customer=False),
                name="isp_reply_customer_not_internal",
            ),
        ]

    def __str__(self):
        return f"{'Note' if self.internal else 'Reply'} on {self.ticket_id}"


def _ticket_upload(instance, filename: str) -> str:
    # Under the tenant's media prefix (the default storage is django-tenants' per-tenant one).
    return f"support/tickets/{instance.ticket_id}/{filename}"


class TicketAttachment(models.Model):
    """A file attached to a ticket (or to one of its replies), kept under the tenant's
    storage prefix; services/support.py bounds its size and type."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    reply = models.ForeignKey(
        TicketReply, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(upload_to=_ticket_upload, max_length=300)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    internal = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.name


class SavedTicketView(models.Model):
    """A named set of the queue's filters an agent keeps (shared: every agent sees it)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="isp_ticket_views"
    )
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=500, blank=True, help_text="The queue's filters.")
    shared = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="isp_ticket_view_name"),
        ]

    def __str__(self):
        return self.name

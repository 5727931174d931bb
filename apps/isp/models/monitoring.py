"""Network monitoring (after LibreNMS / UISP, much reduced): which devices are probed and how,
what each probe saw (history kept for the tenant's retention period), the state changes, the
maintenance windows that silence alerts, and the outages a device that went down caused (the
services behind it, the credits they were given).

A device is probed only at its management IP, an address the tenant registered in IPAM; the
probe refuses any other (apps.isp.services.probes)."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from apps.core.encryption import EncryptedCharField
from apps.isp.models.billing import CreditNote
from apps.isp.models.inventory import Device
from apps.isp.models.subscriptions import Service

__all__ = [
    "MaintenanceWindow",
    "Monitor",
    "MonitorEvent",
    "MonitoringSettings",
    "Outage",
    "OutageCredit",
    "OutageEvent",
    "OutageService",
    "ProbeResult",
    "ProbeRound",
]


class MonitoringSettings(models.Model):
    """The tenant's monitoring settings (one row, pk 1; defaults until first edited)."""

    failures_before_down = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text="Probes in a row that must fail before a device is down (flap suppression).",
    )
    pings_per_probe = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="ICMP echo requests sent per probe (loss is the share unanswered).",
    )
    timeout_ms = models.PositiveIntegerField(
        "probe timeout (ms)", default=1000,
        validators=[MinValueValidator(50), MaxValueValidator(10_000)],
    )  # fmt: skip
    retention_days = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(400)],
        help_text="Probe results and state changes older than this are deleted.",
    )
    notify_emails = models.CharField(
        "notify", max_length=500, blank=True,
        help_text="Staff addresses told of outages, comma separated (empty: nobody).",
    )  # fmt: skip
    credit_outages = models.BooleanField(
        default=False,
        help_text="Credit each affected service for the outage's length when it ends.",
    )
    credit_minimum_minutes = models.PositiveIntegerField(
        default=30,
        validators=[MaxValueValidator(10_080)],
        help_text="Outages shorter than this are not credited.",
    )

    class Meta:
        verbose_name = verbose_name_plural = "monitoring settings"
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="isp_monitoring_settings_one")
        ]

    def __str__(self):
        return "Monitoring settings"

    @property
    def notify_list(self) -> list[str]:
        return [address.strip() for address in self.notify_emails.split(",") if address.strip()]


class Monitor(models.Model):
    """The monitoring of one device: how it is probed and the state the probes put it in.

    `state` moves to down only after `failures_before_down` failed probes in a row, and back to
    up at the first answered one. `alert` says what was done about a down device: suppressed
    (a device it hangs off is down too, or a maintenance window covers it) or an outage.

    SNMP (v2c, off by default) is read on top of the probe, never instead of it: the agent's
    uptime and its interfaces' traffic counters, kept on each probe result; an uptime lower
    than the last one read is a reboot (a MonitorEvent). It never makes a device up or down."""

    class Method(models.TextChoices):
        ICMP = "icmp", "ICMP echo (ping)"
        TCP = "tcp", "TCP port"

    class State(models.TextChoices):
        UNKNOWN = "unknown", "Not probed yet"
        UP = "up", "Up"
        DOWN = "down", "Down"

    class Alert(models.TextChoices):
        NONE = "none", "None"
        PENDING = "pending", "Not decided yet"
        SUPPRESSED = "suppressed", "Suppressed"
        OUTAGE = "outage", "Outage"

    device = models.OneToOneField(Device, on_delete=models.CASCADE, related_name="monitor")
    enabled = models.BooleanField(default=True)
    method = models.CharField(max_length=4, choices=Method.choices, default=Method.ICMP)
    tcp_port = models.PositiveIntegerField(
        "TCP port", null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(65535)],
    )  # fmt: skip
    snmp_enabled = models.BooleanField(
        "read SNMP", default=False,
        help_text="Also read the device's uptime and interface counters over SNMP v2c.",
    )  # fmt: skip
    snmp_community = EncryptedCharField("SNMP community", max_length=64, blank=True)
    snmp_port = models.PositiveIntegerField(
        "SNMP port", default=161, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    state = models.CharField(max_length=7, choices=State.choices, default=State.UNKNOWN)
    alert = models.CharField(max_length=10, choices=Alert.choices, default=Alert.NONE)
    #: The agent's sysUpTime (hundredths of a second) at the last successful SNMP read.
    last_snmp_uptime = models.BigIntegerField(null=True, blank=True, editable=False)
    last_snmp_at = models.DateTimeField(null=True, blank=True, editable=False)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    last_probed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_latency_ms = models.FloatField(null=True, blank=True, editable=False)
    last_loss_percent = models.FloatField(null=True, blank=True, editable=False)
    state_since = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["device__name"]
        indexes = [models.Index(fields=["enabled", "state"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(method="tcp") | Q(tcp_port__isnull=False), name="isp_monitor_tcp_port"
            )
        ]

    def __str__(self):
        return f"Monitoring of {self.device}"


class ProbeRound(models.Model):
    """One round of probes over the tenant's monitored devices, split into batches that
    workers take in parallel; the batch that finishes last decides the alerts."""

    started_at = models.DateTimeField(auto_now_add=True)
    targets = models.PositiveIntegerField(default=0)
    batches = models.PositiveIntegerField(default=0)
    batches_done = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"Probe round {self.pk}"


class ProbeResult(models.Model):
    """What one probe of one device saw (history: kept for the retention period), and what its
    SNMP read saw when the monitor reads SNMP (`snmp_ok` null: not read)."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="results")
    at = models.DateTimeField()
    ok = models.BooleanField()
    latency_ms = models.FloatField(null=True, blank=True)
    loss_percent = models.FloatField(null=True, blank=True)
    snmp_ok = models.BooleanField("SNMP read", null=True, blank=True)
    snmp_error = models.CharField("SNMP error", max_length=200, blank=True)
    snmp_uptime = models.BigIntegerField(
        "uptime (1/100 s)", null=True, blank=True, help_text="The agent's sysUpTime.0."
    )
    # Sums of ifHCInOctets / ifHCOutOctets over the interfaces (Counter64 each: numeric).
    snmp_in_octets = models.DecimalField(
        "octets in", max_digits=30, decimal_places=0, null=True, blank=True
    )
    snmp_out_octets = models.DecimalField(
        "octets out", max_digits=30, decimal_places=0, null=True, blank=True
    )

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["monitor", "at"]), models.Index(fields=["at"])]

    def __str__(self):
        return f"{self.monitor_id} at {self.at}: {'ok' if self.ok else 'failed'}"


class MonitorEvent(models.Model):
    """A device's state change (down, up), and whether its alert was suppressed and why; or a
    reboot its SNMP uptime showed (`kind` reboot, `state` the one it was in)."""

    class Kind(models.TextChoices):
        STATE = "state", "State change"
        REBOOT = "reboot", "Reboot"

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=6, choices=Kind.choices, default=Kind.STATE)
    state = models.CharField(max_length=7, choices=Monitor.State.choices)
    message = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["monitor", "at"]), models.Index(fields=["at"])]

    def __str__(self):
        return f"{self.get_state_display()} at {self.at}: {self.message}"


class MaintenanceWindow(models.Model):
    """Planned work on a device: while it lasts, the device and what hangs off it raise no
    alert and open no outage (they are still probed and their history kept)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="maintenance")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="isp_maintenance_ends_after"
            )
        ]

    def __str__(self):
        return f"Maintenance of {self.device} from {self.starts_at:%d %b %Y %H:%M}"


class Outage(models.Model):
    """A device that went down (and nothing it hangs off was down): the services behind it,
    how many subscribers that is, and when it ended. One open outage per device."""

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="outages")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    services_affected = models.PositiveIntegerField(default=0)
    subscribers_affected = models.PositiveIntegerField(default=0)
    ticket_reference = models.CharField(
        max_length=60, blank=True, help_text="The support ticket the outage opened."
    )
    credited_at = models.DateTimeField(null=True, blank=True)
    services = models.ManyToManyField(Service, through="OutageService", related_name="outages")

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["device"], condition=Q(ended_at__isnull=True), name="isp_outage_one_open"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="isp_outage_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"Outage of {self.device} from {self.started_at:%d %b %Y %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class OutageService(models.Model):
    outage = models.ForeignKey(Outage, on_delete=models.CASCADE, related_name="affected")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["outage", "service"], name="isp_outage_service_once")
        ]

    def __str__(self):
        return f"{self.service_id} in outage {self.outage_id}"


class OutageEvent(models.Model):
    """An entry of an outage's timeline: opened, ticket, notified, resolved, credited."""

    class Kind(models.TextChoices):
        OPENED = "opened", "Opened"
        TICKET = "ticket", "Ticket"
        NOTIFIED = "notified", "Staff notified"
        RESOLVED = "resolved", "Resolved"
        CREDITED = "credited", "Credited"

    outage = models.ForeignKey(Outage, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    message = models.CharField(max_length=300)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return self.message


class OutageCredit(models.Model):
    """The credit note an outage gave one service: once per outage and service (the
    constraint holds it whatever retries happen)."""

    outage = models.ForeignKey(Outage, on_delete=models.PROTECT, related_name="credits")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    credit_note = models.OneToOneField(CreditNote, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["outage", "service"], name="isp_outage_credit_once")
        ]

    def __str__(self):
        return f"Credit of service {self.service_id} for outage {self.outage_id}"

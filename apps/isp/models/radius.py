"""RADIUS: the tenant's network access servers (NAS), the subscribers' PPPoE/IPoE logins, the
sessions and data usage accounting reports, fair-use top-ups, and the changes of authorization
(RFC 5176 CoA / Disconnect) that billing's decisions send to the NAS holding a session.

FreeRADIUS asks DotMac (rlm_rest, apps/isp/radius/): what it answers is computed here, from
the service's state and plan, each time; nothing is copied into radcheck/radreply tables that
could go stale.
"""

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from netfields import InetAddressField, MACAddressField

from apps.core.encryption import EncryptedCharField
from apps.isp.models.inventory import Site
from apps.isp.models.subscriptions import Service

__all__ = [
    "AuthorizationChange",
    "DataTopUp",
    "Nas",
    "NasAttribute",
    "NasType",
    "RadiusLogin",
    "RadiusSession",
    "UsageDay",
]

attribute_name = RegexValidator(
    r"^[A-Za-z][A-Za-z0-9-]{0,63}$",
    "A RADIUS attribute name as the dictionary spells it (letters, digits, hyphens).",
)
login_name = RegexValidator(
    r"^[a-z0-9][a-z0-9._-]{0,63}$",
    "Use lowercase letters, digits, dots, hyphens and underscores (the realm is added).",
)


class NasType(models.TextChoices):
    MIKROTIK = "mikrotik", "MikroTik RouterOS"
    CISCO = "cisco", "Cisco"
    JUNIPER = "juniper", "Juniper"
    OTHER = "other", "Other (WISPr attributes)"


class Nas(models.Model):
    """A network access server (BRAS, BNG, access concentrator) of the tenant's network: it
    asks FreeRADIUS whether a subscriber may connect, reports the sessions, and takes CoA and
    Disconnect requests on its CoA port. Its address is unique over all tenants (NasRoute)."""

    name = models.CharField(max_length=100, unique=True)
    address = models.GenericIPAddressField(
        "address", unique=True, help_text="The source address its RADIUS packets come from."
    )
    secret = EncryptedCharField(
        "shared secret", max_length=128, help_text="The RADIUS shared secret (16+ characters)."
    )
    type = models.CharField(max_length=10, choices=NasType.choices, default=NasType.MIKROTIK)
    coa_port = models.PositiveIntegerField(
        "CoA port", default=3799, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    site = models.ForeignKey(
        Site, on_delete=models.SET_NULL, null=True, blank=True, related_name="access_servers"
    )
    description = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name, verbose_name_plural = "NAS", "NAS"

    def __str__(self):
        return f"{self.name} ({self.address})"


class NasAttribute(models.Model):
    """One reply attribute a NAS type gets in an Access-Accept and in a CoA: the tenant's
    attribute map. The value is a template over the session's speeds in kbit/s or bit/s:
    `{down_kbps}`, `{up_kbps}`, `{down_bps}`, `{up_bps}`. A type without rows of its own uses
    the built-in map (apps/isp/selectors/profiles.py)."""

    nas_type = models.CharField(max_length=10, choices=NasType.choices)
    attribute = models.CharField(max_length=64, validators=[attribute_name])
    value = models.CharField(
        max_length=200, help_text="e.g. {up_kbps}k/{down_kbps}k for Mikrotik-Rate-Limit."
    )

    class Meta:
        ordering = ["nas_type", "attribute"]
        constraints = [
            models.UniqueConstraint(
                fields=["nas_type", "attribute"], name="isp_nasattribute_once_per_type"
            )
        ]

    def __str__(self):
        return f"{self.get_nas_type_display()}: {self.attribute}"


class RadiusLogin(models.Model):
    """How a service's connection signs in: PPPoE with a user name and password (the user name
    is `<username>@<tenant slug>` on the wire), or IPoE by the CPE's MAC address."""

    class Kind(models.TextChoices):
        PPPOE = "pppoe", "PPPoE (user name and password)"
        IPOE = "ipoe", "IPoE (by MAC address)"

    service = models.OneToOneField(Service, on_delete=models.CASCADE, related_name="radius_login")
    kind = models.CharField(max_length=5, choices=Kind.choices, default=Kind.PPPOE)
    username = models.CharField(
        "user name", max_length=64, unique=True, null=True, blank=True, validators=[login_name]
    )
    password = EncryptedCharField(max_length=128, blank=True)
    mac = MACAddressField("MAC address", unique=True, null=True, blank=True)
    throttled_month = models.DateField(
        null=True,
        blank=True,
        editable=False,
        help_text="First day of the month in which the data cap was used up (fair use).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["username"]
        verbose_name = "RADIUS login"
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="pppoe") & Q(username__isnull=False))
                | (Q(kind="ipoe") & Q(mac__isnull=False)),
                name="isp_radiuslogin_identity_of_kind",
            )
        ]

    def __str__(self):
        return self.username or str(self.mac)


class RadiusSession(models.Model):
    """A session the NAS reported through accounting. `Acct-Unique-Session-Id` identifies it:
    a start repeated, an interim after the stop or the stop of a session the NAS replays after a
    reboot land on the same row, and only what the counters grew by is counted (UsageDay)."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"  # the NAS sent its stop
        STALE = "stale", "Stale"  # no update for too long, or the NAS restarted: closed by us

    unique_id = models.CharField("Acct-Unique-Session-Id", max_length=64, unique=True)
    session_id = models.CharField("Acct-Session-Id", max_length=64)
    service = models.ForeignKey(
        Service, on_delete=models.SET_NULL, null=True, blank=True, related_name="radius_sessions"
    )
    nas = models.ForeignKey(Nas, on_delete=models.PROTECT, related_name="sessions")
    username = models.CharField(max_length=128)
    framed_ip = InetAddressField(null=True, blank=True, store_prefix_length=False)
    calling_station = models.CharField("calling station", max_length=64, blank=True)
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.OPEN)
    started_at = models.DateTimeField()
    updated_at = models.DateTimeField(help_text="Time of the last accounting packet counted.")
    stopped_at = models.DateTimeField(null=True, blank=True)
    input_octets = models.BigIntegerField(default=0, help_text="Uploaded by the subscriber.")
    output_octets = models.BigIntegerField(default=0, help_text="Downloaded by the subscriber.")
    terminate_cause = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["service", "status"]),
            models.Index(fields=["nas", "status"]),
            models.Index(fields=["status", "updated_at"]),
        ]

    def __str__(self):
        return f"{self.username} on {self.nas_id} ({self.status})"


class UsageDay(models.Model):
    """Data a service moved on one day (the tenant's time zone), in octets."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="usage_days")
    day = models.DateField()
    input_octets = models.BigIntegerField(default=0)
    output_octets = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["service", "-day"]
        constraints = [
            models.UniqueConstraint(fields=["service", "day"], name="isp_usageday_once_per_day")
        ]

    def __str__(self):
        return f"{self.service_id} on {self.day}"


class DataTopUp(models.Model):
    """Extra data for the current month of a service with a data cap: lifts a fair-use
    slow-down until the new allowance is used up too."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="top_ups")
    gigabytes = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(10_000)]
    )
    month = models.DateField(help_text="First day of the month it counts for.")
    actor = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(gigabytes__gte=1), name="isp_datatopup_gigabytes_gte_1"
            )
        ]

    def __str__(self):
        return f"{self.gigabytes} GB for {self.service_id}"


class AuthorizationChange(models.Model):
    """A change billing decided that must reach a live session: a CoA (new attributes) or a
    Disconnect (RFC 5176), sent to the NAS holding the session, retried with back-off until the
    NAS acknowledges it. What is not acknowledged shows on the staff page of unconfirmed
    changes."""

    class Action(models.TextChoices):
        COA = "coa", "CoA"
        DISCONNECT = "disconnect", "Disconnect"

    class Reason(models.TextChoices):
        ACTIVATE = "activate", "Activated"
        SUSPEND = "suspend", "Suspended"
        RESTORE = "restore", "Restored"
        PLAN_CHANGE = "plan_change", "Plan changed"
        TERMINATE = "terminate", "Terminated"
        FAIR_USE = "fair_use", "Fair use: slowed down"
        TOP_UP = "top_up", "Fair use: top-up"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"  # waiting for its (next) attempt
        ACKED = "acked", "Acknowledged"
        FAILED = "failed", "Failed"  # NAK'd with no fallback left, or out of attempts
        SUPERSEDED = "superseded", "Superseded"  # a later change of the same session replaced it

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="radius_changes")
    session = models.ForeignKey(RadiusSession, on_delete=models.CASCADE, related_name="changes")
    action = models.CharField(max_length=10, choices=Action.choices)
    reason = models.CharField(max_length=12, choices=Reason.choices)
    attributes = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_result = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.get_action_display()} for {self.service_id} ({self.status})"

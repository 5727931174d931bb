"""IPAM: VRFs, prefixes and IP addresses (after NetBox's ipam app), in PostgreSQL's own
`cidr`/`inet` columns (django-netfields), so that containment is the database's `<<`/`>>=`
operators on a GiST index rather than string games.

A prefix's parent and children are not stored: they are the prefixes of its VRF that contain it
or that it contains (NetBox does the same), so re-drawing the plan never leaves a stale tree.
An address is unique in its VRF, by a constraint: that, not a lock, is what makes a duplicate
impossible (the allocation's lock only keeps concurrent allocations from colliding on it).
"""

import ipaddress

from django.contrib.postgres.indexes import GistIndex
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from netfields import CidrAddressField, InetAddressField

from apps.isp.models.subscriptions import Service

__all__ = ["IPAddress", "NetworkSettings", "Prefix", "Vrf"]


class NetworkSettings(models.Model):
    """The tenant's network settings (one row, pk 1; defaults until first edited)."""

    quarantine_days = models.PositiveSmallIntegerField(
        default=7,
        validators=[MaxValueValidator(365)],
        help_text="Days an address freed by a terminated service waits before it is reused.",
    )

    class SuspendedAccess(models.TextChoices):
        REJECT = "reject", "Rejected"
        WALLED_GARDEN = "walled_garden", "Walled garden (a pool that reaches only the portal)"

    suspended_access = models.CharField(
        "suspended services are",
        max_length=13,
        choices=SuspendedAccess.choices,
        default=SuspendedAccess.REJECT,
    )
    walled_garden_pool = models.CharField(
        max_length=64,
        default="walled-garden",
        validators=[RegexValidator(r"^[A-Za-z0-9._-]+$", "Letters, digits, dots and hyphens.")],
        help_text="The NAS's address pool (Framed-Pool) for suspended services' sessions.",
    )
    stale_session_minutes = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(1440)],
        help_text="A session without an accounting update for this long is closed as stale "
        "(keep it above the NAS's interim interval).",
    )

    class Meta:
        verbose_name = verbose_name_plural = "network settings"

    def __str__(self):
        return "Network settings"


class Vrf(models.Model):
    """A routing table of its own: the same address may exist once in each VRF. Prefixes and
    addresses without a VRF are in the global table."""

    name = models.CharField(max_length=100, unique=True)
    rd = models.CharField(
        "route distinguisher",
        max_length=21,
        blank=True,
        help_text="e.g. 65000:100 or 192.0.2.1:100 (RFC 4364); unique when set.",
        validators=[
            RegexValidator(
                r"^(\d{1,10}|\d{1,3}(\.\d{1,3}){3}):\d{1,10}$",
                "A route distinguisher is ASN:number or IPv4-address:number (65000:100).",
            )
        ],
    )
    description = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name, verbose_name_plural = "VRF", "VRFs"
        constraints = [
            models.UniqueConstraint(fields=["rd"], condition=~Q(rd=""), name="isp_vrf_rd_unique")
        ]

    def __str__(self):
        return self.name


class Prefix(models.Model):
    """An IPv4 or IPv6 network of a VRF, with what it is for."""

    class Purpose(models.TextChoices):
        CUSTOMER = "customer", "Customer pool"  # subscribers' dynamic addresses (CGNAT, DHCP)
        STATIC = "static", "Static customer addresses"  # handed to plans with a static IP
        INFRASTRUCTURE = "infrastructure", "Infrastructure"
        MANAGEMENT = "management", "Management"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        CONTAINER = "container", "Container"  # holds child prefixes; addresses come from those
        RESERVED = "reserved", "Reserved"  # planned: nothing is allocated from it yet
        DEPRECATED = "deprecated", "Deprecated"  # being retired: nothing new is allocated

    vrf = models.ForeignKey(
        Vrf, on_delete=models.PROTECT, null=True, blank=True, related_name="prefixes"
    )
    prefix = CidrAddressField(help_text="Network in CIDR notation: 100.64.0.0/24, 2001:db8::/48.")
    purpose = models.CharField(max_length=15, choices=Purpose.choices, default=Purpose.CUSTOMER)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    description = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["vrf__name", "prefix"]
        verbose_name_plural = "prefixes"
        indexes = [GistIndex(fields=["prefix"], opclasses=["inet_ops"], name="isp_prefix_gist")]
        constraints = [
            models.UniqueConstraint(
                fields=["vrf", "prefix"], nulls_distinct=False, name="isp_prefix_unique_in_vrf"
            )
        ]

    def __str__(self):
        return str(self.prefix)

    @property
    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        return ipaddress.ip_network(self.prefix)

    def usable_range(self) -> tuple[int, int]:
        """(first, last) host address as integers: an IPv4 network's network and broadcast
        addresses and an IPv6 network's subnet-router anycast address (RFC 4291 §2.6.1) are not
        handed out, except in /31 and /32 (RFC 3021) or /127 and /128."""
        network = self.network
        first, last = int(network.network_address), int(network.broadcast_address)
        if network.version == 4 and network.prefixlen <= 30:
            return first + 1, last - 1
        if network.version == 6 and network.prefixlen <= 126:
            return first + 1, last
        return first, last

    @property
    def usable_size(self) -> int:
        first, last = self.usable_range()
        return last - first + 1


class IPAddress(models.Model):
    """One address of a VRF: in use by a service or a device, reserved, deprecated, or in
    quarantine after the service it belonged to ended (reused once `quarantined_until` passed)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        RESERVED = "reserved", "Reserved"
        DEPRECATED = "deprecated", "Deprecated"
        QUARANTINE = "quarantine", "Quarantine"

    vrf = models.ForeignKey(
        Vrf, on_delete=models.PROTECT, null=True, blank=True, related_name="ip_addresses"
    )
    address = InetAddressField(store_prefix_length=False, help_text="One host address.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    service = models.ForeignKey(
        Service,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ip_addresses",
        help_text="The subscriber's service the address is assigned to.",
    )
    quarantined_until = models.DateField(
        null=True, blank=True, help_text="Reusable from the day after (quarantine only)."
    )
    description = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["vrf__name", "address"]
        verbose_name, verbose_name_plural = "IP address", "IP addresses"
        indexes = [GistIndex(fields=["address"], opclasses=["inet_ops"], name="isp_ip_gist")]
        constraints = [
            models.UniqueConstraint(
                fields=["vrf", "address"], nulls_distinct=False, name="isp_ip_unique_in_vrf"
            ),
            models.CheckConstraint(
                condition=Q(status="quarantine", quarantined_until__isnull=False)
                | (~Q(status="quarantine") & Q(quarantined_until__isnull=True)),
                name="isp_ip_quarantine_has_end",
            ),
        ]

    def __str__(self):
        return str(self.address)

    def clean(self):
        super().clean()
        if self.status == self.Status.QUARANTINE and self.quarantined_until is None:
            raise ValidationError({"quarantined_until": "An address in quarantine needs an end."})
        if self.status != self.Status.QUARANTINE:
            self.quarantined_until = None

"""Network inventory: sites (POPs, cabinets, customer premises), devices (routers, switches,
OLTs, access points, CPEs) and the circuits bought from carriers (after NetBox's dcim and
circuits apps, much reduced: what an access ISP runs its network with)."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from netfields import MACAddressField

from apps.core.money import MoneyField, non_negative
from apps.isp.models.network import IPAddress
from apps.isp.models.subscriptions import Service

__all__ = ["Circuit", "Device", "Site"]


class Site(models.Model):
    """A place with network equipment: a POP, a street cabinet, a tower."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"

    name = models.CharField(max_length=100, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    street = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True)
    latitude = models.DecimalField(
        max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )  # fmt: skip
    longitude = models.DecimalField(
        max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )  # fmt: skip
    description = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="isp_site_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="isp_site_longitude_range",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="isp_site_coordinates_together",
            ),
        ]

    def __str__(self):
        return self.name


class Device(models.Model):
    """A piece of network equipment. A CPE may be assigned to the subscriber's service it
    serves; `parent` is what it hangs off (an ONT's OLT, a switch's router), which monitoring
    will use to suppress the alerts of what is behind a device that is down."""

    class Role(models.TextChoices):
        ROUTER = "router", "Router"
        SWITCH = "switch", "Switch"
        OLT = "olt", "OLT"
        ACCESS_POINT = "access_point", "Access point"
        CPE = "cpe", "CPE"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        ACTIVE = "active", "Active"
        OFFLINE = "offline", "Offline"
        RETIRED = "retired", "Retired"

    name = models.CharField(max_length=100, unique=True)
    role = models.CharField(max_length=15, choices=Role.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    vendor = models.CharField(max_length=60, blank=True)
    model = models.CharField(max_length=60, blank=True)
    serial = models.CharField("serial number", max_length=60, blank=True)
    mac = MACAddressField("MAC address", null=True, blank=True)
    management_ip = models.OneToOneField(
        IPAddress, on_delete=models.SET_NULL, null=True, blank=True, related_name="device",
        verbose_name="management IP",
    )  # fmt: skip
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="devices"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
        help_text="The device this one is connected behind (its uplink).",
    )  # fmt: skip
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, null=True, blank=True, related_name="devices",
        help_text="The subscriber's service a CPE serves.",
    )  # fmt: skip
    description = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["role", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "serial"], condition=~Q(serial=""), name="isp_device_serial"
            ),
            models.UniqueConstraint(fields=["mac"], name="isp_device_mac_unique"),
            models.CheckConstraint(
                condition=Q(service__isnull=True) | Q(role="cpe"), name="isp_device_service_cpe"
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("pk")), name="isp_device_not_own_parent"
            ),
        ]

    def __str__(self):
        return self.name


class Circuit(models.Model):
    """A link bought from a carrier (transit, backhaul, dark fibre): its capacity, monthly cost
    and term, between a site and another site or the carrier."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        ACTIVE = "active", "Active"
        DECOMMISSIONED = "decommissioned", "Decommissioned"

    provider = models.CharField(max_length=100)
    cid = models.CharField("circuit ID", max_length=60, help_text="The provider's reference.")
    kind = models.CharField(max_length=40, blank=True, help_text="Transit, backhaul, fibre...")
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.ACTIVE)
    capacity_mbps = models.PositiveIntegerField("capacity (Mbit/s)")
    monthly_cost = MoneyField(validators=[non_negative])
    site_a = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="circuits_a", verbose_name="site A"
    )
    site_z = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="circuits_z",
        verbose_name="site Z", help_text="Empty: the circuit ends at the provider.",
    )  # fmt: skip
    installed_on = models.DateField(null=True, blank=True)
    term_ends_on = models.DateField("term ends", null=True, blank=True)
    description = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["provider", "cid"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "cid"], name="isp_circuit_cid"),
            models.CheckConstraint(
                condition=Q(monthly_cost__gte=0), name="isp_circuit_cost_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(term_ends_on__isnull=True)
                | Q(installed_on__isnull=True)
                | Q(term_ends_on__gte=models.F("installed_on")),
                name="isp_circuit_term_after_install",
            ),
            models.CheckConstraint(
                condition=Q(site_z__isnull=True) | ~Q(site_z=models.F("site_a")),
                name="isp_circuit_two_sites",
            ),
        ]

    def __str__(self):
        return f"{self.provider} {self.cid}"

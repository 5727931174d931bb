"""factory_boy factories for the ISP's network side (use them inside a tenant's schema)."""

from decimal import Decimal

import factory

from apps.isp.models import Circuit, Device, IPAddress, Prefix, Site, Vrf


class VrfFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vrf

    name = factory.Sequence(lambda n: f"vrf-{n}")


class PrefixFactory(factory.django.DjangoModelFactory):
    """An active customer pool, a /24 of 10.0.0.0/8 of its own."""

    class Meta:
        model = Prefix

    prefix = factory.Sequence(lambda n: f"10.{n // 256 % 256}.{n % 256}.0/24")
    purpose = Prefix.Purpose.CUSTOMER
    status = Prefix.Status.ACTIVE


class IPAddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IPAddress

    address = factory.Sequence(lambda n: f"192.0.2.{n % 250 + 1}")
    status = IPAddress.Status.RESERVED


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    name = factory.Sequence(lambda n: f"POP {n}")
    city = "London"
    latitude = Decimal("51.507400")
    longitude = Decimal("-0.127800")


class DeviceFactory(factory.django.DjangoModelFactory):
    """A router made through device_create (within the plan's device limit)."""

    class Meta:
        model = Device

    name = factory.Sequence(lambda n: f"router-{n}")
    role = Device.Role.ROUTER
    vendor = "MikroTik"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from apps.isp.services.inventory import device_create

        return device_create(**kwargs)


class CircuitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Circuit

    provider = "Openreach"
    cid = factory.Sequence(lambda n: f"OR-{n:06d}")
    capacity_mbps = 10_000
    monthly_cost = Decimal("850.00")
    site_a = factory.SubFactory(SiteFactory)

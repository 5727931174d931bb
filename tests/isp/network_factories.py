"""factory_boy factories for the ISP's network side (use them inside a tenant's schema)."""

import factory

from apps.isp.models import IPAddress, Prefix, Vrf


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

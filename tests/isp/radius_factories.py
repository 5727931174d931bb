"""factory_boy factories for RADIUS (use them inside a tenant's schema). A NAS made here has no
public route: the NAS services add it (tests of the route go through them)."""

import datetime

import factory
from django.utils import timezone

from apps.isp.models import Nas, NasAttribute, RadiusLogin, RadiusSession, UsageDay
from tests.isp.factories import ServiceFactory

SECRET = "a-shared-secret-of-24ch"


class NasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Nas

    name = factory.Sequence(lambda n: f"bng-{n}")
    address = factory.Sequence(lambda n: f"198.51.{n // 250 % 250}.{n % 250 + 1}")
    secret = SECRET


class NasAttributeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NasAttribute

    nas_type = "other"
    attribute = factory.Sequence(lambda n: f"Vendor-Rate-{n}")
    value = "{down_kbps}k"


class RadiusLoginFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RadiusLogin

    service = factory.SubFactory(ServiceFactory)
    kind = "pppoe"
    username = factory.Sequence(lambda n: f"user{n}")
    password = "login-password-1"


class RadiusSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RadiusSession

    unique_id = factory.Sequence(lambda n: f"uid-{n:08d}")
    session_id = factory.Sequence(lambda n: f"{n:08X}")
    nas = factory.SubFactory(NasFactory)
    service = factory.SubFactory(ServiceFactory)
    username = factory.Sequence(lambda n: f"user{n}@tenant-a")
    status = "closed"
    started_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(hours=5))
    updated_at = factory.LazyFunction(timezone.now)
    stopped_at = factory.LazyFunction(timezone.now)
    input_octets = 10_000_000
    output_octets = 90_000_000


class UsageDayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UsageDay

    service = factory.SubFactory(ServiceFactory)
    day = factory.LazyFunction(timezone.localdate)
    input_octets = 1_000_000_000
    output_octets = 4_000_000_000

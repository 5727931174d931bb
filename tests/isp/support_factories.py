"""Factories and helpers of the support and field tests (tickets, SLA policies, work orders),
creating through the services; use them inside a tenant's schema."""

import datetime

import factory
from django.utils import timezone

from apps.identity import services as identity
from apps.identity.models import Role
from apps.isp.models import SlaPolicy, SupportTeam, Ticket, WorkOrder
from apps.platform.licensing import services as licensing
from apps.platform.licensing.models import Subscription
from tests.isp.factories import CustomerFactory, ServiceFactory

TECH_PASSWORD = "tech-password-123"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupportTeam

    name = factory.Sequence(lambda n: f"Team {n}")
    email = factory.Sequence(lambda n: f"team{n}@isp.example.com")


class SlaPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SlaPolicy
        django_get_or_create = ("priority",)

    name = factory.LazyAttribute(lambda o: f"{o.priority.title()} priority")
    priority = "high"
    first_response_minutes = 60
    resolution_minutes = 240


class TicketFactory(factory.django.DjangoModelFactory):
    """A ticket opened by staff through ticket_open."""

    class Meta:
        model = Ticket

    subject = factory.Sequence(lambda n: f"No connection {n}")
    description = "The light on the router is red."
    customer = factory.SubFactory(CustomerFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from apps.isp.services.support import ticket_open

        return ticket_open(**kwargs)


class WorkOrderFactory(factory.django.DjangoModelFactory):
    """A repair scheduled today from 10:00 through work_order_create."""

    class Meta:
        model = WorkOrder

    kind = WorkOrder.Kind.REPAIR
    customer = factory.SubFactory(CustomerFactory)
    slot_start = factory.LazyFunction(
        lambda: timezone.now().replace(hour=10, minute=0, second=0, microsecond=0)
    )
    slot_end = factory.LazyAttribute(lambda o: o.slot_start + datetime.timedelta(hours=2))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from apps.isp.services.field import work_order_create

        return work_order_create(**kwargs)


def installation(**fields) -> WorkOrder:
    service = fields.pop("service", None) or ServiceFactory()
    return WorkOrderFactory(kind="installation", customer=service.customer, service=service,
                            **fields)  # fmt: skip


def technician(username: str = "tech", password: str = TECH_PASSWORD):
    """A user whose only role is Field Tech (the technician app)."""
    user = identity.user_create(username=username, password=password,
                                email=f"{username}@example.com")  # fmt: skip
    identity.role_grant(user=user, role=Role.objects.get(name="Field Tech"))
    return user


def agent(username: str = "agent", password: str = TECH_PASSWORD):
    """A user with the IT Manager role (the ISP staff app)."""
    user = identity.user_create(username=username, password=password,
                                email=f"{username}@example.com")  # fmt: skip
    identity.role_grant(user=user, role=Role.objects.get(name="IT Manager"))
    return user


def give_features(slug: str, capture, **features) -> None:
    """Give a session tenant's ISP subscription features (undone with the test's transaction;
    the entitlement caches are invalidated on commit, run at once)."""
    from django.db import connection

    subscription = Subscription.objects.get(tenant__slug=slug, app__key="isp")
    with capture(execute=True):
        licensing.subscription_set_overrides(subscription=subscription, actor="test",
                                             features=features)  # fmt: skip
    connection.set_schema_to_public()

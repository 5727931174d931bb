"""factory_boy factories of CRM records (run inside the tenant's schema)."""

from decimal import Decimal

import factory

from apps.crm.models import Account, Activity, Contact, Lead, Opportunity, Stage


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Company {n}")
    domain = factory.Sequence(lambda n: f"company{n}.example")
    industry = "Software"
    city = "Lisbon"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory, owner=factory.SelfAttribute("..owner"))
    first_name = "Ada"
    last_name = factory.Sequence(lambda n: f"Person{n}")
    email = factory.Sequence(lambda n: f"person{n}@people.example")


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    first_name = "Lee"
    last_name = factory.Sequence(lambda n: f"Lead{n}")
    company = factory.Sequence(lambda n: f"Prospect {n}")
    email = factory.Sequence(lambda n: f"lead{n}@prospect{n}.example")
    source = "website"
    status = "new"
    score = 40


class OpportunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opportunity

    account = factory.SubFactory(AccountFactory, owner=factory.SelfAttribute("..owner"))
    name = factory.Sequence(lambda n: f"Deal {n}")
    stage = factory.LazyFunction(lambda: Stage.objects.filter(kind="open").first())
    amount = Decimal("1000.00")


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    kind = "task"
    subject = factory.Sequence(lambda n: f"Call back {n}")


class StageFactory(factory.django.DjangoModelFactory):
    """A pipeline stage after the tenant's defaults (an open one, at 30%)."""

    class Meta:
        model = Stage

    name = factory.Sequence(lambda n: f"Stage {n:03d}")
    position = 50
    probability = 30

"""Customer accounts through the services: numbering, limits, timeline."""

import pytest
from django.core.exceptions import ValidationError

from apps.core.exceptions import LimitExceededError
from apps.isp.models import Customer, TaxClass, TimelineEvent
from apps.isp.services.customers import customer_create, customer_set_status, customer_update


def test_provisioning_seeds_the_isp_defaults(in_tenant_a):
    assert TaxClass.objects.get(is_default=True).code == "standard"


def test_accounts_are_numbered_from_the_tenants_sequence_and_start_their_timeline(in_tenant_a):
    first = customer_create(name="Ann Lee", email="ann@example.com")
    second = customer_create(name="Bob Ray", email="bob@example.com", kind="business")

    assert int(second.account_number[1:]) == int(first.account_number[1:]) + 1
    assert first.status == Customer.Status.PROSPECT
    assert first.timeline.get().kind == TimelineEvent.Kind.CREATED


def test_invalid_email_and_phone_are_refused_and_nothing_is_numbered(in_tenant_a):
    with pytest.raises(ValidationError) as error:
        customer_create(name="X", email="not-an-email", phone="call me")

    assert set(error.value.message_dict) == {"email", "phone"}
    assert not Customer.objects.exists()


def test_the_plans_customer_limit_refuses_the_next_account(in_tenant_a, settings):
    from apps.platform.licensing import services
    from apps.platform.licensing.models import Subscription

    subscription = Subscription.objects.get(tenant=in_tenant_a, app__key="isp")
    services.subscription_set_overrides(
        subscription=subscription, limits={"isp.max_customers": 1}, actor="test"
    )
    customer_create(name="Only One", email="one@example.com")

    with pytest.raises(LimitExceededError):
        customer_create(name="Too Many", email="two@example.com")
    assert Customer.objects.count() == 1


def test_edits_are_recorded_on_the_timeline_and_closing_needs_no_live_services(in_tenant_a):
    customer = customer_create(name="Ann Lee", email="ann@example.com")
    customer_update(customer=customer, phone="+44 20 7946 0958", billing_day=15)
    customer_set_status(customer=customer, status=Customer.Status.CLOSED, reason="moved away")

    messages = list(customer.timeline.values_list("message", flat=True))
    assert messages[0] == "Status Prospect → Closed: moved away"
    assert messages[1].startswith("Details changed: phone, billing day")

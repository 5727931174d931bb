"""Fair-use top-ups over the API and on the pages: staff (invoiced or granted) and the customer
(bought), with the cross-tenant, permission and licence checks of every other endpoint."""

from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from apps.isp.models import DataTopUp, Invoice
from tests.conftest import HostClient, obtain_tokens
from tests.isp.factories import CustomerFactory, ServicePlanFactory, active_service
from tests.isp.pages_data import PASSWORD, make_portal_customer, make_user, sign_in
from tests.isp.test_api_portal import PORTAL, customer_user
from tests.isp.test_api_radius import on_pro  # noqa: F401 (a fixture)
from tests.resource_base import owner_api

pytestmark = pytest.mark.django_db


def capped_service(customer=None, price: str | None = "2.00"):
    plan = ServicePlanFactory(
        data_cap_gb=100, fup_download_kbps=1000, fup_upload_kbps=500,
        top_up_price_per_gb=None if price is None else Decimal(price),
    )  # fmt: skip
    return active_service(plan=plan, customer=customer or CustomerFactory())


def top_ups(tenant) -> int:
    with schema_context(tenant.schema_name):
        return DataTopUp.objects.count()


def test_staff_top_up_is_invoiced_or_granted(on_pro, api_a, tenant_a):  # noqa: F811
    with schema_context(tenant_a.schema_name):
        service = capped_service()
        invoices = Invoice.objects.filter(customer=service.customer).count()
    url = f"/api/v1/isp/services/{service.pk}/top-up/"

    bought = api_a.post_json(url, {"gigabytes": 20})
    granted = api_a.post_json(url, {"gigabytes": 5, "charge": False})

    assert (bought.status_code, granted.status_code) == (201, 201), bought.content
    assert bought.json()["data"]["attributes"]["gigabytes"] == 20
    with schema_context(tenant_a.schema_name):
        assert Invoice.objects.filter(customer=service.customer).count() == invoices + 1
        line = Invoice.objects.filter(customer=service.customer).latest("id").lines.get()
        assert line.amount == Decimal("40.00")
    usage = api_a.get(f"/api/v1/isp/services/{service.pk}/usage/").json()["data"]["attributes"]
    assert (usage["month"]["top_up_gb"], usage["month"]["allowance_gb"]) == (25, 125)


@pytest.mark.parametrize(
    "body", [{}, {"gigabytes": 0}, {"gigabytes": 10_001}, {"gigabytes": "lots"},
             {"gigabytes": 1, "charge": "perhaps"}],
)  # fmt: skip
def test_a_top_up_out_of_bounds_is_refused_and_writes_nothing(on_pro, api_a, tenant_a, body):  # noqa: F811
    with schema_context(tenant_a.schema_name):
        service = capped_service()

    response = api_a.post_json(f"/api/v1/isp/services/{service.pk}/top-up/", body)

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert top_ups(tenant_a) == 0


def test_another_tenants_service_is_a_404_and_basic_has_no_top_ups(on_pro, tenant_a):  # noqa: F811
    with schema_context(tenant_a.schema_name):
        service = capped_service()
    api_b = owner_api("tenant-b")

    response = api_b.post_json(f"/api/v1/isp/services/{service.pk}/top-up/", {"gigabytes": 1})

    assert response.status_code == 404
    assert top_ups(tenant_a) == 0


def test_basic_refuses_top_ups_with_the_plans_that_include_radius(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        service = capped_service()

    response = api_a.post_json(f"/api/v1/isp/services/{service.pk}/top-up/", {"gigabytes": 1})

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FEATURE_NOT_IN_PLAN"
    assert top_ups(tenant_a) == 0


def test_a_user_outside_the_isp_area_may_not_top_up(on_pro, client_a, tenant_a):  # noqa: F811
    with schema_context(tenant_a.schema_name):
        service = capped_service()
        make_user("mike", "Sales Rep")
    mike = client_a.authenticate(obtain_tokens(client_a, "mike", PASSWORD)["access"])

    response = mike.post_json(f"/api/v1/isp/services/{service.pk}/top-up/", {"gigabytes": 1})

    assert response.status_code == 403
    assert top_ups(tenant_a) == 0


def test_the_customer_buys_data_for_her_own_service_only(on_pro, tenant_a):  # noqa: F811
    with schema_context(tenant_a.schema_name):
        jane_account = CustomerFactory(name="Jane Doe")
        mine = capped_service(customer=jane_account)
        theirs = capped_service()
        not_sold = capped_service(customer=jane_account, price=None)
        jane = customer_user("tenant-a", "jane", linked_to=jane_account)

    own = jane.post_json(f"{PORTAL}/services/{mine.pk}/top-up/", {"gigabytes": 3})
    other = jane.post_json(f"{PORTAL}/services/{theirs.pk}/top-up/", {"gigabytes": 3})
    unsold = jane.post_json(f"{PORTAL}/services/{not_sold.pk}/top-up/", {"gigabytes": 3})
    free = jane.post_json(f"{PORTAL}/services/{mine.pk}/top-up/", {"gigabytes": 3, "charge": False})

    assert own.status_code == 201, own.content
    assert other.status_code == 404
    assert unsold.status_code == 400
    assert free.status_code == 201  # `charge` is not hers to set: ignored, invoiced
    with schema_context(tenant_a.schema_name):
        assert Invoice.objects.filter(customer=jane_account, lines__description__startswith=(
            "Data top-up")).count() == 2  # fmt: skip
        assert not DataTopUp.objects.filter(service=theirs).exists()


def test_the_pages_top_up_staff_and_portal(on_pro, client_a, tenant_a):  # noqa: F811
    with schema_context(tenant_a.schema_name):
        service = capped_service()
        jane_account = make_portal_customer()
        hers = capped_service(customer=jane_account)
        make_user("mike", "Sales Rep")
    staff = client_a.sign_in()

    page = staff.get(f"/isp/services/{service.pk}/").content.decode()
    posted = staff.post(f"/isp/services/{service.pk}/top-up/", {"gigabytes": "7"})
    refused = staff.post(f"/isp/services/{service.pk}/top-up/", {"gigabytes": "0"})
    mike = sign_in(HostClient(client_a.host), "mike").post(
        f"/isp/services/{service.pk}/top-up/", {"gigabytes": "1"}
    )

    assert 'id="top-up"' in page
    assert posted.status_code == 302
    assert refused.status_code in (302, 400)
    assert mike.status_code == 403
    with schema_context(tenant_a.schema_name):
        assert list(
            DataTopUp.objects.filter(service=service).values_list("gigabytes", flat=True)
        ) == [7]

    jane = sign_in(HostClient(client_a.host), "jane")
    portal_page = jane.get(f"/portal/services/{hers.pk}/").content.decode()
    bought = jane.post(f"/portal/services/{hers.pk}/top-up/", {"gigabytes": "2"})
    not_hers = jane.post(f"/portal/services/{service.pk}/top-up/", {"gigabytes": "2"})

    assert 'id="top-up"' in portal_page
    assert bought.status_code == 302
    assert not_hers.status_code == 404
    with schema_context(tenant_a.schema_name):
        assert DataTopUp.objects.filter(service=hers).count() == 1
        assert DataTopUp.objects.filter(service=service).count() == 1

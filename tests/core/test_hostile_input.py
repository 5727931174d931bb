"""Input an attacker (or a fuzzer) sends: every answer a 4xx in the envelope naming what is
wrong, nothing written, never a 500 (issue 16: F4, F6, F7, F15)."""

import datetime
import json

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.crm.models import Account, Stage
from apps.identity import services as identity
from apps.identity.models import User
from apps.isp.models import BillingRun, Customer, Invoice, Payment
from apps.isp.services.runs import longest_period
from tests.admin_forms import form_of
from tests.conftest import HostClient
from tests.crm.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


def refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:400]
    body = response.json()["error"]
    assert body["code"] == code
    assert body["request_id"]
    return body


def fields_of(body: dict) -> set:
    return {detail["field"] for detail in body["details"]}


# --- Bodies ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/auth/token/refresh/", "/api/v1/isp/customers/"])
def test_a_body_past_the_upload_limit_is_a_413(api_a, path):
    body = json.dumps({"name": "x" * (10 * 1024 * 1024)})

    response = api_a.post(path, body, content_type="application/json")

    error = refused(response, 413, "PAYLOAD_TOO_LARGE")
    assert "larger than" in error["message"]


def test_a_csv_import_past_the_upload_limit_is_a_413_and_imports_nothing(api_a, tenant_a):
    text = "name\n" + "\n".join(f"Company {n:07d}" for n in range(200_000))  # ~3 MB
    with schema_context(tenant_a.schema_name):
        before = Account.objects.count()

    response = api_a.post_json("/api/v1/crm/accounts/import/", {"csv": text})

    refused(response, 413, "PAYLOAD_TOO_LARGE")
    with schema_context(tenant_a.schema_name):
        assert Account.objects.count() == before


@pytest.mark.parametrize("depth", [40, 1000, 100_000])
def test_json_nested_too_deep_is_a_validation_error(api_a, depth):
    body = "[" * depth + "]" * depth

    response = api_a.post("/api/v1/isp/customers/", body, content_type="application/json")

    error = refused(response, 400, "VALIDATION_ERROR")
    assert "deeper than 32 levels" in error["message"]


def test_json_nested_within_the_bound_is_parsed(api_a):
    nested = {"a": {"b": {"c": [[1]]}}}

    response = api_a.post_json("/api/v1/crm/accounts/", {"name": "Nested", "extra": nested})

    assert response.status_code == 201, response.content


# --- Filters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/api/v1/isp/invoices/", {"total__gte": "abc"}, "total__gte"),
        ("/api/v1/isp/invoices/", {"issue_date": "garbage"}, "issue_date"),
        ("/api/v1/isp/customers/", {"overdue": "maybe"}, "overdue"),
        ("/api/v1/isp/customers/", {"created_before": "0240-05-11T03:44:26+22:34"},
         "created_before"),
        ("/api/v1/isp/customers/", {"created_after": "0240-05-11T03:44:26Z"}, "created_after"),
        ("/api/v1/isp/invoices/", {"issued_after": "9999-12-31"}, "issued_after"),
        ("/api/v1/crm/activities/", {"due_after": "2024-01-01T00:00:00+23:00"}, "due_after"),
        ("/api/v1/crm/accounts/", {"ordering": "password"}, "ordering"),
        ("/api/v1/isp/customers/", {"balance_min": "NaN-ish"}, "balance_min"),
    ],
)  # fmt: skip
def test_a_filter_value_or_name_the_list_does_not_take_is_a_400_naming_it(
    api_a, path, query, field
):
    response = api_a.get(path, query)

    body = refused(response, 400, "VALIDATION_ERROR")
    assert field in fields_of(body)


def test_the_filters_a_list_declares_still_filter(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        Customer.objects.create(account_number="C999001", name="Filtered", status="closed")

    query = {"status": "closed", "ordering": "-name", "page_size": 5, "search": "Filtered"}
    response = api_a.get("/api/v1/isp/customers/", query)

    assert response.status_code == 200
    assert [row["attributes"]["name"] for row in response.json()["data"]] == ["Filtered"]


@pytest.mark.parametrize("word", ["true", "1", "YES", "on", "false", "0", "no", "off"])
def test_a_yes_no_filter_takes_every_spelling_of_yes_and_no(api_a, tenant_a, word):
    with schema_context(tenant_a.schema_name):
        Customer.objects.create(account_number="C999002", name="Yes No", status="closed")
    yes = word.lower() in {"true", "1", "yes", "on"}

    response = api_a.get("/api/v1/isp/customers/", {"has_portal_user": word, "search": "Yes No"})

    assert response.status_code == 200
    names = [row["attributes"]["name"] for row in response.json()["data"]]
    assert names == ([] if yes else ["Yes No"])


def test_a_detail_ignores_the_query_string_as_before(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        customer = Customer.objects.create(account_number="C999002", name="Detail")

    response = api_a.get(f"/api/v1/isp/customers/{customer.pk}/", {"_": "cache-buster"})

    assert response.status_code == 200


def test_an_anonymous_hostile_body_is_still_refused_as_unauthenticated(client_a):
    response = HostClient(client_a.host).post(
        "/api/v1/isp/customers/", "[" * 5000, content_type="application/json"
    )

    assert response.status_code in (400, 401)
    assert response.json()["error"]["code"] in ("VALIDATION_ERROR", "NOT_AUTHENTICATED")


# --- Dates the API and the services take --------------------------------------------------------


def test_an_invoice_dated_far_in_the_future_is_refused_not_a_500(api_a, tenant_a):
    """F8: 9999-12-31 overflowed `issue date + payment terms`."""
    with schema_context(tenant_a.schema_name):
        customer = Customer.objects.create(account_number="C999010", name="Dated")
        before = Invoice.objects.count()
    lines = [{"description": "Survey", "amount": "10.00"}]

    far = api_a.post_json(
        "/api/v1/isp/invoices/",
        {"customer": customer.pk, "issue_date": "9999-12-31", "lines": lines},
    )
    next_decade = api_a.post_json("/api/v1/isp/invoices/",
                                  {"customer": customer.pk, "issue_date": "2036-01-01",
                                   "lines": lines})  # fmt: skip

    assert "issue_date" in fields_of(refused(far, 400, "VALIDATION_ERROR"))
    assert "issue_date" in fields_of(refused(next_decade, 400, "VALIDATION_ERROR"))
    with schema_context(tenant_a.schema_name):
        assert Invoice.objects.count() == before


def test_a_payment_received_in_year_one_or_next_month_is_refused(api_a, tenant_a):
    """F15: 0001-01-01 was taken."""
    with schema_context(tenant_a.schema_name):
        customer = Customer.objects.create(account_number="C999011", name="Payer")
    for day in ("0001-01-01", (timezone.localdate() + datetime.timedelta(days=40)).isoformat()):
        response = api_a.post_json(
            "/api/v1/isp/payments/",
            {"customer": customer.pk, "amount": "10.00", "method": "cash", "received_on": day},
        )
        assert "received_on" in fields_of(refused(response, 400, "VALIDATION_ERROR")), day
    with schema_context(tenant_a.schema_name):
        assert not Payment.objects.filter(customer=customer).exists()


def test_a_billing_run_more_than_a_billing_period_ahead_is_refused(api_a, tenant_a):
    """F5: a run as of 2697 billed centuries of periods, holding the numbering lock for 13
    minutes while the readiness probe said all was well."""
    with schema_context(tenant_a.schema_name):
        before = BillingRun.objects.count()
        ahead = longest_period()
    too_far = timezone.localdate() + relativedelta(months=ahead, days=1)

    responses = [api_a.post_json("/api/v1/isp/billing-runs/", {"as_of": day})
                 for day in ("2697-08-19", "7523-06-12", too_far.isoformat())]  # fmt: skip

    for response in responses:
        assert "as_of" in fields_of(refused(response, 400, "VALIDATION_ERROR"))
    with schema_context(tenant_a.schema_name):
        assert BillingRun.objects.count() == before


@pytest.mark.parametrize(
    ("query", "status"),
    [({"end": "2024-02-29"}, 200), ({"end": "0001-01-01"}, 400),
     ({"start": "2026-05-01", "end": "2026-04-01"}, 400)],
)  # fmt: skip
def test_a_statement_ending_on_29_february_answers_and_absurd_dates_are_refused(
    api_a, tenant_a, query, status
):
    """F9: a year before 29 February 2024 was computed as 29 February 2023: a 500."""
    with schema_context(tenant_a.schema_name):
        customer = Customer.objects.create(account_number="C999012", name="Leap")

    response = api_a.get(f"/api/v1/isp/customers/{customer.pk}/statement/", query)

    assert response.status_code == status, response.content[:300]
    if status == 200:
        assert response.json()["data"]["attributes"]["start"] == "2023-02-28"


# --- Deletes and imports -----------------------------------------------------------------------


def test_deleting_an_account_with_contacts_is_a_conflict_naming_them(api_a, tenant_a):
    """F2: building the message joined lazy translations: a 500."""
    with schema_context(tenant_a.schema_name):
        owner = User.objects.get(username="owner")
        account = AccountFactory(owner=owner)
        ContactFactory(owner=owner, account=account)

    response = api_a.delete(f"/api/v1/crm/accounts/{account.pk}/")

    error = refused(response, 409, "CONFLICT")
    assert "contacts" in error["message"]
    with schema_context(tenant_a.schema_name):
        assert Account.objects.filter(pk=account.pk).exists()


@pytest.mark.parametrize(
    "text",
    ["name\n" + "x" * 140_000 + "\n", '"name\nunterminated'],
)  # fmt: skip
@pytest.mark.parametrize("kind", ["accounts", "contacts", "leads"])
def test_a_csv_that_is_not_csv_is_reported_not_a_500(api_a, tenant_a, kind, text):
    """F3: the csv module's own errors escaped as 500s."""
    with schema_context(tenant_a.schema_name):
        before = Account.objects.count()

    checked = api_a.post_json(f"/api/v1/crm/{kind}/import/", {"csv": text, "dry_run": True})
    imported = api_a.post_json(f"/api/v1/crm/{kind}/import/", {"csv": text})

    assert checked.status_code == 200, checked.content[:300]
    assert checked.json()["data"]["attributes"]["ok"] is False
    assert checked.json()["data"]["attributes"]["errors"]
    refused(imported, 400, "VALIDATION_ERROR")
    with schema_context(tenant_a.schema_name):
        assert Account.objects.count() == before


@pytest.mark.parametrize("text", ["name\n\x00\x01\x02\n", "\x89PNG\r\n\x1a\n\x00\x00"])
def test_binary_data_for_a_csv_is_refused(api_a, text):
    response = api_a.post_json("/api/v1/crm/accounts/import/", {"csv": text, "dry_run": True})

    assert "csv" in fields_of(refused(response, 400, "VALIDATION_ERROR"))


def test_old_mac_line_endings_are_read_as_lines(api_a):
    text = "last_name\rLovelace\rHopper\r"
    response = api_a.post_json("/api/v1/crm/leads/import/", {"csv": text, "dry_run": True})

    assert response.status_code == 200
    assert response.json()["data"]["attributes"]["rows"] == 2


# --- The last super admin -----------------------------------------------------------------------


def test_the_last_active_super_admin_cannot_disable_himself(api_a, tenant_a):
    """F13: the tenant was left without an active administrator."""
    with schema_context(tenant_a.schema_name):
        owner = User.objects.get(username="owner")

    response = api_a.post_json(f"/api/v1/users/{owner.pk}/disable/")

    assert "last active super admin" in refused(response, 409, "CONFLICT")["message"]
    with schema_context(tenant_a.schema_name):
        assert User.objects.get(pk=owner.pk).is_active


def test_a_super_admin_may_go_once_another_is_there(api_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        owner = User.objects.get(username="owner")
        deputy = identity.user_create(username="deputy", password="deputy-pass-1234",
                                      is_superuser=True)  # fmt: skip

    disabled = api_a.post_json(f"/api/v1/users/{deputy.pk}/disable/")
    again = api_a.post_json(f"/api/v1/users/{owner.pk}/disable/")

    assert disabled.status_code == 200
    refused(again, 409, "CONFLICT")  # the deputy is disabled now: owner is the last again


def test_the_console_cannot_demote_or_delete_the_last_super_admin(tenant_a):
    console = HostClient("tenant-a.localhost").sign_in()
    with schema_context(tenant_a.schema_name):
        owner = User.objects.get(username="owner")
    page = f"/admin/identity/user/{owner.pk}/change/"
    form = form_of(console.get(page).content.decode(), is_superuser=None, is_staff=None)

    demoted = console.post(page, form, follow=True)
    deleted = console.post(f"/admin/identity/user/{owner.pk}/delete/", {"post": "yes"},
                           follow=True)  # fmt: skip

    assert "last active super admin" in demoted.content.decode()
    assert "last active super admin" in deleted.content.decode()
    with schema_context(tenant_a.schema_name):
        assert User.objects.filter(pk=owner.pk, is_superuser=True, is_active=True).exists()


# --- Found by the schema-driven fuzzer (tests/core/test_fuzz_api.py) -------------------------


def test_a_request_without_a_client_address_is_served_not_a_500(api_a):
    """A WSGI server that sets no REMOTE_ADDR (schemathesis's in-process client) made the
    request-id middleware fail on None.strip()."""
    response = api_a.get("/api/v1/me/", REMOTE_ADDR=None)

    assert response.status_code == 200
    assert response["X-Request-ID"]


@pytest.mark.parametrize("value", ["null", "abc", "0", "-3", "1.5", ""])
def test_a_page_size_that_is_not_a_whole_number_from_one_is_a_400(api_a, value):
    """It used to be ignored (the default page, 200), although the schema says integer >= 1."""
    body = refused(api_a.get(f"/api/v1/crm/stages/?page_size={value}"), 400, "VALIDATION_ERROR")

    assert fields_of(body) == {"page_size"}


@pytest.mark.parametrize("value", ["", "abc", "0", "-1", "1.5"])
def test_a_page_that_is_not_a_whole_number_from_one_is_a_400(api_a, value):
    """Found by the fuzzer: `?page=` (empty) was page 1, `?page=abc` a 404."""
    body = refused(api_a.get(f"/api/v1/crm/stages/?page={value}"), 400, "VALIDATION_ERROR")

    assert fields_of(body) == {"page"}


def test_the_last_page_and_a_page_past_it(api_a):
    assert api_a.get("/api/v1/crm/stages/?page=last").status_code == 200
    assert api_a.get("/api/v1/crm/stages/?page=1").status_code == 200
    assert api_a.get("/api/v1/crm/stages/?page=999").status_code == 404


def test_an_empty_yes_no_filter_is_a_400_naming_it(api_a):
    """Found by the fuzzer: `?is_default=` listed everything, although the schema says
    boolean."""
    body = refused(api_a.get("/api/v1/isp/tax-classes/?is_default="), 400, "VALIDATION_ERROR")

    assert fields_of(body) == {"is_default"}


def test_a_page_size_past_the_bound_gives_the_bound(api_a):
    response = api_a.get("/api/v1/crm/stages/?page_size=1000")

    assert response.status_code == 200
    assert response.json()["meta"]["pagination"]["page_size"] == 100


def test_an_id_filter_refuses_a_fraction(api_a):
    """`?plan=0.5` listed nothing with a 200 (django-filter's NumberFilter is a decimal)."""
    body = refused(api_a.get("/api/v1/isp/customers/?plan=0.5"), 400, "VALIDATION_ERROR")

    assert fields_of(body) == {"plan"}


@pytest.mark.parametrize("value", [0, 12.5, True, ["x"], {"a": 1}])
def test_a_number_for_a_text_field_is_refused_and_nothing_is_written(api_a, tenant_a, value):
    """DRF turned `{"name": 0}` into a stage called "0" (the schema says string)."""
    with schema_context(tenant_a.schema_name):
        before = Stage.objects.count()

    response = api_a.post_json(
        "/api/v1/crm/stages/", {"name": value, "position": 9, "probability": 5, "kind": "open"}
    )

    body = refused(response, 400, "VALIDATION_ERROR")
    assert fields_of(body) == {"name"}
    with schema_context(tenant_a.schema_name):
        assert Stage.objects.count() == before


def test_an_audit_filter_with_an_impossible_offset_is_a_400_not_a_500(api_a):
    """PostgreSQL refuses a displacement past ±15:59 (DataError: a 500); the audit trail's
    filters did not go through the kit's bounded FilterSet."""
    response = api_a.get("/api/v1/audit/", {"created_at__lte": "2936-08-19T00:17:12-23:56"})

    body = refused(response, 400, "VALIDATION_ERROR")
    assert fields_of(body) == {"created_at__lte"}


@pytest.mark.parametrize(
    ("path", "parameter"),
    [("/api/v1/isp/services/", "customer"), ("/api/v1/audit/", "actor_type")],
)
def test_an_empty_id_or_choice_filter_is_a_400_not_no_filter(api_a, path, parameter):
    """`?customer=` listed every service (django-filter reads "" as no filter), although the
    schema says integer; an empty text filter still means the empty text."""
    body = refused(api_a.get(path, {parameter: ""}), 400, "VALIDATION_ERROR")

    assert fields_of(body) == {parameter}
    assert api_a.get("/api/v1/crm/accounts/", {"city": ""}).status_code == 200

"""The unconfirmed network changes: the staff page (/isp/network/radius/changes/) with its Retry
button, and the API resource (/api/v1/isp/radius-changes/) with its retry action; who may open
them, tenant isolation, the licence."""

import itertools

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.isp.models import AuthorizationChange
from tests.conftest import host_of
from tests.isp.coa_data import SECRET, Sends, make_nas, move_isp_to, open_session
from tests.isp.factories import ServiceFactory, active_service
from tests.isp.pages_data import make_user, sign_in
from tests.isp.radius_nas import ACK, FakeNas
from tests.resource_base import ResourceTests

pytestmark = pytest.mark.django_db
PAGE = "/isp/network/radius/changes/"
API = "/api/v1/isp/radius-changes/"
_addresses = itertools.count(1)


def make_change(service=None, **fields) -> AuthorizationChange:
    """A change of a session on its own NAS (a made-up address: nothing is sent)."""
    service = service or ServiceFactory()
    n = next(_addresses)
    nas = fields.pop("nas", None) or make_nas(3799, address=f"192.0.2.{n % 250 + 1}")
    session = open_session(service, nas)
    fields.setdefault("status", "failed")
    fields.setdefault("attempts", 6)
    fields.setdefault("last_result", f"CoA to {nas.name} failed: no answer after 6 attempts")
    return AuthorizationChange.objects.create(
        service=service, session=session, action=fields.pop("action", "coa"),
        reason=fields.pop("reason", "plan_change"), **fields,
    )  # fmt: skip


@pytest.fixture
def on_pro(db, django_capture_on_commit_callbacks):
    for slug in ("tenant-a", "tenant-b"):
        move_isp_to(slug, "pro", django_capture_on_commit_callbacks)


@pytest.fixture
def staff_a(client_a, on_pro):
    return client_a.sign_in()


def text(response) -> str:
    return response.content.decode()


# --- The page ------------------------------------------------------------------------------------


def test_the_page_needs_sign_in_and_an_isp_role(client_a, in_tenant_a):
    anonymous = client_a.get(PAGE)
    make_user("mike", "Sales Rep")
    sales_rep = sign_in(client_a, "mike").get(PAGE)

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/login/?next=")
    assert sales_rep.status_code == 403


def test_the_page_lists_pending_and_failed_changes_and_filters_them(staff_a, in_tenant_a):
    failed = make_change(reason="suspend", action="disconnect")
    pending = make_change(status="pending", attempts=2, last_result="No answer, retrying",
                          next_attempt_at=timezone.now())  # fmt: skip
    acked = make_change(status="acked", last_result="CoA acknowledged by bras")

    body = text(staff_a.get(PAGE))
    only_failed = text(staff_a.get(f"{PAGE}?status=failed"))

    assert f'id="change-{failed.pk}"' in body
    assert f'id="change-{pending.pk}"' in body
    assert f'id="change-{acked.pk}"' not in body
    assert failed.service.customer.name in body
    assert f'href="/isp/customers/{failed.service.customer_id}/#services"' in body
    assert failed.session.nas.name in body
    assert "No answer, retrying" in body
    assert f'action="/isp/network/radius/changes/{failed.pk}/retry/"' in body
    assert f'action="/isp/network/radius/changes/{pending.pk}/retry/"' not in body
    assert 'aria-current="page">Unconfirmed changes' in body
    assert f'id="change-{failed.pk}"' in only_failed
    assert f'id="change-{pending.pk}"' not in only_failed


def test_the_radius_pages_link_to_it(staff_a, in_tenant_a):
    nas_list = text(staff_a.get("/isp/network/nas/"))
    sessions = text(staff_a.get("/isp/network/sessions/"))

    assert f'href="{PAGE}"' in nas_list
    assert f'href="{PAGE}"' in sessions


def test_the_retry_button_sends_a_failed_change_again_and_the_nas_acks_it(
    staff_a, in_tenant_a, monkeypatch, django_capture_on_commit_callbacks, settings
):
    settings.RADIUS_COA_TIMEOUT = 0.1
    sends = Sends(django_capture_on_commit_callbacks).install(monkeypatch)
    with FakeNas(SECRET) as fake_nas:
        fake_nas.answers = [ACK]
        change = make_change(active_service(), nas=make_nas(fake_nas.port, name="bras-east"))

        with sends.capture(execute=True):
            retried = staff_a.post(f"{PAGE}{change.pk}/retry/", {"next": f"{PAGE}?status=failed"})
        page = text(staff_a.get(PAGE))
        sends.drain()
    change.refresh_from_db()

    assert retried.status_code == 302
    assert retried["Location"] == f"{PAGE}?status=failed"
    assert "CoA for" in page
    assert "sent again." in page
    assert change.status == "acked"
    assert change.last_result == "CoA acknowledged by bras-east"


def test_retrying_a_change_that_is_not_failed_says_why(staff_a, in_tenant_a):
    change = make_change(status="pending", attempts=1)

    staff_a.post(f"{PAGE}{change.pk}/retry/")
    page = text(staff_a.get(PAGE))

    change.refresh_from_db()
    assert "Only a failed change can be retried" in page
    assert change.attempts == 1


def test_the_retry_is_a_post_with_csrf(client_a, on_pro, in_tenant_a):
    change = make_change()
    strict = Client(enforce_csrf_checks=True, HTTP_HOST=host_of("tenant-a"))
    strict.force_login(get_user_model().objects.get(username="owner"))
    client_a.sign_in()

    assert client_a.get(f"{PAGE}{change.pk}/retry/").status_code == 405
    assert strict.post(f"{PAGE}{change.pk}/retry/").status_code == 403
    change.refresh_from_db()
    assert change.status == "failed"


def test_another_tenants_change_is_a_404_on_the_page(client_b, tenant_a, on_pro):
    with schema_context(tenant_a.schema_name):
        change = make_change()
    client_b.sign_in()

    retried = client_b.post(f"{PAGE}{change.pk}/retry/")

    assert retried.status_code == 404
    with schema_context(tenant_a.schema_name):
        assert AuthorizationChange.objects.get(pk=change.pk).status == "failed"


def test_a_sales_rep_cannot_retry(client_a, on_pro, in_tenant_a):
    change = make_change()
    make_user("mike", "Sales Rep")

    answer = sign_in(client_a, "mike").post(f"{PAGE}{change.pk}/retry/")

    assert answer.status_code == 403
    change.refresh_from_db()
    assert change.status == "failed"


# --- The API -------------------------------------------------------------------------------------


class TestRadiusChangeResource(ResourceTests):
    path = API
    resource_type = "radius_change"
    model = AuthorizationChange
    operations = {"list", "retrieve"}

    def make(self, **fields):
        return make_change(**fields)

    @pytest.fixture(autouse=True)
    def _on_pro(self, on_pro):
        pass

    def test_filters_by_status_and_service(self, api_a):
        failed = self.row()
        self.row(status="acked")

        listed = api_a.get(f"{API}?status=failed").json()["data"]
        of_service = api_a.get(f"{API}?service={failed.service_id}").json()["data"]

        assert [item["id"] for item in listed] == [str(failed.pk)]
        assert [item["id"] for item in of_service] == [str(failed.pk)]
        attributes = listed[0]["attributes"]
        assert attributes["nas_name"] == failed.session.nas.name
        assert attributes["acct_session_id"] == failed.session.session_id

    def test_retry_puts_a_failed_change_back_to_pending(self, api_a, monkeypatch, settings):
        sent = []
        monkeypatch.setattr("apps.core.dispatch.send", lambda *args: sent.append(args))
        failed = self.row()
        acked = self.row(status="acked")

        retried = api_a.post_json(f"{API}{failed.pk}/retry/")
        refused = api_a.post_json(f"{API}{acked.pk}/retry/")

        assert retried.status_code == 200
        assert retried.json()["data"]["attributes"]["status"] == "pending"
        assert retried.json()["data"]["attributes"]["attempts"] == 0
        self.error(refused, 409, "CONFLICT")

    def test_retry_of_another_tenants_change_is_a_404(self, api_a):
        foreign = self.foreign_row("tenant-b")

        self.error(api_a.post_json(f"{API}{foreign.pk}/retry/"), 404, "NOT_FOUND")
        assert self.state(foreign.pk, "tenant-b")["status"] == "failed"

    def test_an_outsider_may_not_retry(self, outsider_api):
        change = self.row()

        self.error(outsider_api.post_json(f"{API}{change.pk}/retry/"), 403, "PERMISSION_DENIED")
        assert self.state(change.pk)["status"] == "failed"


def test_the_basic_plan_refuses_the_resource(api_a):
    response = api_a.get(API)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FEATURE_NOT_IN_PLAN"
    assert "isp.radius" in response.json()["error"]["message"]

"""The rlm_rest endpoint in process: who may call it, what it refuses, and the licence.

The end-to-end behaviour (FreeRADIUS in front of it) is tests/isp/test_radius.py; these are the
refusals, cheaper to reach without a RADIUS server."""

import base64
import io
import json

import pytest
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.isp.models import Nas, RadiusLogin, RadiusSession
from apps.isp.radius import endpoint
from apps.isp.services.radius import sessions_close_stale
from apps.platform.tenants.models import NasRoute
from tests.isp.factories import active_service
from tests.isp.test_api_dunning import move_isp_to

pytestmark = pytest.mark.django_db
SECRET = "a-nas-secret-of-16-chars"


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch):
    # The handler closes stale connections around each call, as a request does; inside a test's
    # transaction that would close the test's own.
    monkeypatch.setattr(endpoint, "close_old_connections", lambda: None)


def call(method: str, path: str, body=None, *, token=None, raw: bytes | None = None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    credentials = base64.b64encode(
        f"freeradius:{settings.RADIUS_API_TOKEN if token is None else token}".encode()
    ).decode()
    path, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_LENGTH": str(len(data)) if data else "",
        "wsgi.input": io.BytesIO(data),
        "HTTP_AUTHORIZATION": f"Basic {credentials}",
    }
    answer = {}

    def start_response(status, headers):
        answer["status"] = int(status.split()[0])

    payload = b"".join(endpoint.radius_application(environ, start_response))
    return answer["status"], json.loads(payload) if payload else None


def rest_body(**attributes) -> dict:
    return {name: {"type": "string", "value": [value]} for name, value in attributes.items()}


@pytest.fixture
def nas_a(tenant_a):
    with schema_context(tenant_a.schema_name):
        nas = Nas.objects.create(name="BNG 1", address="192.0.2.10", secret=SECRET)
    NasRoute.objects.create(address="192.0.2.10", tenant=tenant_a, nas_id=nas.pk)
    return nas


def shortname(tenant, nas) -> str:
    return f"{tenant.schema_name}:{nas.pk}:{nas.type}"


def test_only_freeradius_with_the_token_may_call(nas_a, tenant_a):
    assert call("GET", "/_radius/client?address=192.0.2.10", token="wrong")[0] == 403
    assert call("GET", "/_radius/client?address=192.0.2.10", token="")[0] == 403
    assert call("DELETE", "/_radius/client")[0] == 405
    assert call("GET", "/_radius/elsewhere")[0] == 405


def test_the_client_lookup_gives_a_nas_its_secret_and_short_name_and_nothing_else(nas_a, tenant_a):
    status, body = call("GET", "/_radius/client?address=192.0.2.10")
    unknown, _ = call("GET", "/_radius/client?address=192.0.2.99")

    assert status == 200
    assert body["control:FreeRADIUS-Client-Secret"] == SECRET
    assert body["control:FreeRADIUS-Client-Shortname"] == shortname(tenant_a, nas_a)
    assert unknown == 404
    assert call("GET", "/_radius/client")[0] == 400


def test_a_tenant_without_isp_radius_is_refused(nas_a, tenant_a):
    """The session tenants' ISP trials are on Basic, which has no `isp.radius`."""
    status, body = call(
        "POST",
        f"/_radius/authorize?nas={shortname(tenant_a, nas_a)}",
        rest_body(**{"User-Name": f"x@{tenant_a.slug}"}),
    )

    assert status == 401
    assert "does not include RADIUS" in body["reply:Reply-Message"]


@pytest.fixture
def on_pro(db, django_capture_on_commit_callbacks):
    move_isp_to("tenant-a", "pro", django_capture_on_commit_callbacks)


def test_a_short_name_that_names_no_nas_is_unknown(on_pro, nas_a, tenant_a, tenant_b):
    for name in (
        "",
        "nope",
        f"{tenant_a.schema_name}:999",
        "public:1",
        f"{tenant_a.schema_name}:x",
    ):
        status, _ = call("POST", f"/_radius/authorize?nas={name}", rest_body(**{"User-Name": "a"}))
        assert status == 404, name


def test_bodies_that_are_not_rlm_rest_json_are_refused(on_pro, nas_a, tenant_a):
    path = f"/_radius/authorize?nas={shortname(tenant_a, nas_a)}"

    assert call("POST", path, raw=b"{not json")[0] == 400
    assert call("POST", path, raw=b"[1, 2]")[0] == 400
    assert call("POST", path, raw=b"")[0] == 400
    assert call("POST", path, raw=b" " * (endpoint.MAX_BODY + 1))[0] == 400


def test_accounting_refuses_packets_it_cannot_count_and_writes_nothing(on_pro, nas_a, tenant_a):
    path = f"/_radius/accounting?nas={shortname(tenant_a, nas_a)}"
    base = {"Acct-Status-Type": "Interim-Update", "Acct-Unique-Session-Id": "u1", "User-Name": "z"}

    answers = [
        call("POST", path, rest_body(**{**base, "Acct-Status-Type": "Bogus"}))[0],
        call("POST", path, rest_body(**{**base, "Acct-Unique-Session-Id": ""}))[0],
        call("POST", path, rest_body(**{**base, "Acct-Unique-Session-Id": "x" * 49}))[0],
        call("POST", path, rest_body(**{**base, "Acct-Input-Octets": "lots"}))[0],
        call("POST", path, rest_body(**{**base, "Acct-Output-Octets": "-1"}))[0],
    ]

    assert answers == [400] * 5
    with schema_context(tenant_a.schema_name):
        assert not RadiusSession.objects.exists()


def test_authorize_answers_rlm_rest_attributes(on_pro, nas_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        service = active_service()
        RadiusLogin.objects.create(service=service, username="ann", password="pw-of-ann-123")

    status, body = call(
        "POST",
        f"/_radius/authorize?nas={shortname(tenant_a, nas_a)}",
        rest_body(**{"User-Name": f"ann@{tenant_a.slug}", "User-Password": "whatever"}),
    )

    assert status == 200
    assert body["control:Cleartext-Password"] == {"op": ":=", "value": "pw-of-ann-123"}
    assert body["reply:Mikrotik-Rate-Limit"] == {"op": ":=", "value": "20000k/100000k"}


def test_sessions_silent_for_the_stale_period_are_closed_at_their_last_update(in_tenant_a, nas_a):
    now = timezone.now()
    quiet = now - timezone.timedelta(minutes=31)
    fields = {"nas": nas_a, "username": "u", "session_id": "s"}
    silent = RadiusSession.objects.create(
        unique_id="silent", started_at=quiet, updated_at=quiet, **fields
    )
    recent = RadiusSession.objects.create(
        unique_id="recent", started_at=quiet, updated_at=now - timezone.timedelta(minutes=5),
        **fields,
    )  # fmt: skip

    assert sessions_close_stale(now=now) == 1
    silent.refresh_from_db()
    recent.refresh_from_db()
    assert (silent.status, silent.stopped_at) == ("stale", quiet)
    assert recent.status == "open"


def test_the_stale_sweep_fans_out_to_tenants_with_radius_only(tenant_a, tenant_b, monkeypatch):
    from django.db import connection

    from apps.isp import tasks
    from apps.platform.licensing.models import Subscription
    from apps.platform.licensing.services import subscription_set_overrides

    subscription_set_overrides(
        subscription=Subscription.objects.get(tenant=tenant_a, app__key="isp"),
        features={"isp.radius": True},
        actor="test",
    )
    sent = []
    monkeypatch.setattr(
        tasks.radius_sessions_close_stale, "delay", lambda: sent.append(connection.schema_name)
    )

    assert tasks.radius_fan_out() == len(sent)
    assert tenant_a.schema_name in sent
    assert tenant_b.schema_name not in sent

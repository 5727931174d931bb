"""Licensing scenarios over HTTP (DESIGN.md §5), on the real endpoints of the apps built so far
(ISP: /api/v1/isp/customers/ and its `isp.max_customers` limit; CRM: the forecast report and
`crm.max_users`); apps not built yet (commerce, projects) through their URL prefixes."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.isp.models import Customer
from apps.platform.catalog.models import Plan
from apps.platform.licensing import services
from apps.platform.licensing.entitlements import entitlements_for
from apps.platform.licensing.models import Subscription
from tests.committed import committed
from tests.conftest import HostClient, obtain_tokens
from tests.servers import Gunicorn

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls_tenant")]


CUSTOMERS = "/api/v1/isp/customers/"


def subscription(slug: str, app: str) -> Subscription:
    return Subscription.objects.select_related("plan", "app").get(tenant__slug=slug, app__key=app)


def plan(app: str, key: str) -> Plan:
    return Plan.objects.get(app__key=app, key=key)


@pytest.fixture
def api_b(client_b):
    return HostClient(client_b.host).authenticate(obtain_tokens(client_b)["access"])


# --- App gate ---------------------------------------------------------------------------------


@pytest.mark.smoke
def test_tenant_without_crm_gets_app_not_subscribed_on_the_crm_api(api_b):
    response = api_b.get("/api/v1/crm/leads/")

    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "APP_NOT_SUBSCRIBED"
    assert "CRM" in error["message"]
    assert [d["plan"] for d in error["details"]] == ["basic", "pro", "enterprise"]


def test_gate_answers_before_authentication(client_b):
    response = client_b.get("/api/v1/crm/leads/")  # no token at all

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "APP_NOT_SUBSCRIBED"


def test_tenant_without_crm_gets_the_upgrade_page_naming_the_plans(client_b):
    response = client_b.get("/crm/pipeline/")

    assert response.status_code == 403
    page = response.content.decode()
    assert "Upgrade to access CRM" in page
    assert "Basic" in page
    assert "29.00 USD" in page
    assert "Tenant B" in page


def test_tenant_with_crm_passes_the_gate(api_a):
    response = api_a.get("/api/v1/crm/leads/")

    assert response.status_code == 200
    assert response.json()["meta"]["pagination"]["count"] == 0


@pytest.mark.parametrize(
    ("path", "app"),
    [("/isp/", "isp"), ("/portal/", "isp"), ("/tech/", "isp"), ("/shop/", "commerce"),
     ("/commerce/", "commerce"), ("/projects/", "projects"), ("/crm/", "crm")],
)  # fmt: skip
def test_every_app_prefix_is_gated(client_a, client_b, path, app):
    subscribed = {"tenant-a": {"isp", "crm", "commerce"}, "tenant-b": {"isp", "projects"}}
    for client in (client_a, client_b):
        slug = client.host.split(".", 1)[0]
        response = client.get(path)
        if app in subscribed[slug]:
            assert response.status_code != 403, (slug, path)
        else:
            assert response.status_code == 403, (slug, path)
            assert b"Upgrade to access" in response.content


def test_tenant_admin_hides_and_refuses_unsubscribed_apps(client_b):
    client_b.sign_in()

    assert client_b.get("/admin/crm/").status_code == 403
    assert client_b.get("/admin/crm/lead/").status_code == 403


def test_admin_menu_filter_drops_apps_the_tenant_cannot_use(tenant_b, rf):
    from apps.platform.licensing.guards import admin_app_visible

    with schema_context(tenant_b.schema_name):
        assert admin_app_visible(rf.get("/admin/"), "isp")
        assert admin_app_visible(rf.get("/admin/"), "projects")
        assert not admin_app_visible(rf.get("/admin/"), "crm")
        assert not admin_app_visible(rf.get("/admin/"), "commerce")
        assert admin_app_visible(rf.get("/admin/"), "identity")


def test_public_host_is_never_gated(public_client):
    assert public_client.get("/api/v1/crm/leads/").status_code == 404


# --- Features and limits ----------------------------------------------------------------------


def test_feature_outside_the_plan_is_refused_and_an_upgrade_enables_it(
    api_a, django_capture_on_commit_callbacks
):
    refused = api_a.get("/api/v1/crm/reports/forecast/")
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "FEATURE_NOT_IN_PLAN"
    assert [d["plan"] for d in error["details"]] == ["pro", "enterprise"]

    with django_capture_on_commit_callbacks(execute=True):
        services.subscription_change_plan(
            subscription=subscription("tenant-a", "crm"), plan=plan("crm", "pro"), actor="test"
        )

    assert api_a.get("/api/v1/crm/reports/forecast/").status_code == 200


def test_basic_isp_plan_limit_blocks_the_next_create_and_writes_nothing(
    api_a, tenant_a, django_capture_on_commit_callbacks
):
    assert entitlements_for(tenant_a.schema_name).limit("isp.max_customers") == 500
    with django_capture_on_commit_callbacks(execute=True):
        services.subscription_set_overrides(
            subscription=subscription("tenant-a", "isp"), limits={"isp.max_customers": 2},
            actor="test",
        )  # fmt: skip

    created = [
        api_a.post_json(CUSTOMERS, {"name": f"Customer {n}", "email": f"c{n}@example.com"})
        for n in range(2)
    ]
    refused = api_a.post_json(CUSTOMERS, {"name": "One too many", "email": "c3@example.com"})

    assert [response.status_code for response in created] == [201, 201]
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "LIMIT_EXCEEDED"
    assert error["details"] == [{"field": "isp.max_customers", "message": "limit 2, in use 2"}]
    assert api_a.get(CUSTOMERS).json()["meta"]["pagination"]["count"] == 2
    with schema_context(tenant_a.schema_name):
        assert not Customer.objects.filter(name="One too many").exists()


def test_usage_is_metered_against_each_limit(api_a, tenant_a):
    api_a.post_json(CUSTOMERS, {"name": "Metered", "email": "metered@example.com"})

    rows = {row["attributes"]["app"]: row["attributes"] for row in api_a.get(
        "/api/v1/licence/").json()["data"]}  # fmt: skip

    assert rows["isp"]["usage"] == [
        {"limit": "isp.max_customers", "used": 1, "max": 500},
        {"limit": "isp.max_devices", "used": 0, "max": 250},
    ]
    assert rows["crm"]["usage"] == [{"limit": "crm.max_users", "used": 0, "max": 5}]
    assert rows["isp"]["status"] == "trial"
    assert rows["isp"]["usable"] is True


def test_closed_customers_do_not_count_against_the_limit(api_a):
    customer = api_a.post_json(CUSTOMERS, {"name": "Gone", "email": "gone@example.com"})
    api_a.post_json(f"{CUSTOMERS}{customer.json()['data']['id']}/status/", {"status": "closed"})

    rows = {row["attributes"]["app"]: row["attributes"] for row in api_a.get(
        "/api/v1/licence/").json()["data"]}  # fmt: skip

    assert rows["isp"]["usage"][0] == {"limit": "isp.max_customers", "used": 0, "max": 500}


def test_licence_api_shows_only_this_tenants_subscriptions(api_b):
    apps = {row["attributes"]["app"] for row in api_b.get("/api/v1/licence/").json()["data"]}
    assert apps == {"isp", "projects"}


def test_licence_api_requires_authentication(client_a):
    assert client_a.get("/api/v1/licence/").status_code == 401


# --- Status semantics -------------------------------------------------------------------------


def test_expired_trial_switches_the_app_off(api_a):
    Subscription.objects.filter(tenant__slug="tenant-a", app__key="isp").update(
        trial_ends_at=timezone.now() - timedelta(minutes=1)
    )
    from apps.platform.licensing.entitlements import invalidate

    invalidate()

    response = api_a.get(CUSTOMERS)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "APP_NOT_SUBSCRIBED"


def test_past_due_stays_usable_during_grace_and_not_after(
    api_a, settings, django_capture_on_commit_callbacks
):
    sub = subscription("tenant-a", "isp")
    with django_capture_on_commit_callbacks(execute=True):
        services.subscription_activate(subscription=sub, actor="test")
        services.subscription_mark_past_due(subscription=sub, actor="test")
    assert api_a.get(CUSTOMERS).status_code == 200

    Subscription.objects.filter(pk=sub.pk).update(
        past_due_since=timezone.now() - timedelta(days=settings.LICENSE_GRACE_DAYS, minutes=1)
    )
    from apps.platform.licensing.entitlements import invalidate

    invalidate()
    assert api_a.get(CUSTOMERS).status_code == 403


def test_every_change_is_kept_in_the_history(tenant_a):
    sub = subscription("tenant-a", "crm")
    services.subscription_activate(subscription=sub, actor="ops")
    services.subscription_change_plan(subscription=sub, plan=plan("crm", "pro"), actor="ops")
    services.subscription_suspend(subscription=sub, actor="ops", note="unpaid")
    services.subscription_activate(subscription=sub, actor="ops")
    services.subscription_cancel(subscription=sub, actor="ops")

    actions = list(sub.events.order_by("id").values_list("action", "from_status", "to_status"))

    assert actions == [
        ("trial_started", "", "trial"),
        ("activated", "trial", "active"),
        ("plan_changed", "active", "active"),
        ("suspended", "active", "suspended"),
        ("resumed", "suspended", "active"),
        ("cancelled", "active", "cancelled"),
    ]
    assert sub.events.get(action="plan_changed").from_plan.key == "basic"


def test_invalid_transition_is_a_conflict(tenant_a):
    from apps.core.exceptions import ConflictError

    sub = subscription("tenant-a", "crm")
    services.subscription_cancel(subscription=sub, actor="ops")
    with pytest.raises(ConflictError):
        services.subscription_suspend(subscription=sub, actor="ops")


def test_cached_licence_check_costs_no_query(tenant_a, django_assert_num_queries):
    entitlements_for(tenant_a.schema_name)  # warm

    with django_assert_num_queries(0):
        assert entitlements_for(tenant_a.schema_name).has_app("crm")


# --- Across processes: the very next request in every worker -----------------------------------


def _hammer(web, path, token, host="tenant-a.localhost", n=12):
    """Enough requests that every gunicorn worker answers some."""
    return [
        web.get(path, host=host, headers={"Authorization": f"Bearer {token}"}) for _ in range(n)
    ]


@pytest.mark.slow
def test_upgrade_takes_effect_on_the_next_request_in_every_worker(client_a, tenant_a):
    token = obtain_tokens(client_a)["access"]
    crm = subscription("tenant-a", "crm")
    with Gunicorn(workers=3) as web:
        before = _hammer(web, "/api/v1/crm/reports/forecast/", token)
        committed(
            services.subscription_change_plan, subscription=crm, plan=plan("crm", "pro"),
            actor="test",
        )  # fmt: skip
        try:
            after = _hammer(web, "/api/v1/crm/reports/forecast/", token)
        finally:
            committed(
                services.subscription_change_plan, subscription=crm, plan=plan("crm", "basic"),
                actor="test",
            )  # fmt: skip
        reverted = _hammer(web, "/api/v1/crm/reports/forecast/", token)

    assert {status for status, _, _ in before} == {403}
    assert {status for status, _, _ in after} == {200}
    assert {status for status, _, _ in reverted} == {403}


@pytest.mark.slow
def test_suspending_a_subscription_switches_the_app_off_at_once(client_a):
    token = obtain_tokens(client_a)["access"]
    isp = subscription("tenant-a", "isp")
    with Gunicorn(workers=3) as web:
        before = _hammer(web, CUSTOMERS, token)
        committed(services.subscription_suspend, subscription=isp, actor="test")
        try:
            during = _hammer(web, CUSTOMERS, token)
        finally:
            committed(_back_to_trial, isp.pk)
        after = _hammer(web, CUSTOMERS, token)

    assert {status for status, _, _ in before} == {200}
    assert {status for status, _, _ in during} == {403}
    assert {status for status, _, _ in after} == {200}


def _back_to_trial(pk):
    from apps.platform.licensing.entitlements import invalidate

    Subscription.objects.filter(pk=pk).update(status="trial")
    invalidate()


def test_customer_rows_do_not_leak_between_tests(tenant_a):
    with schema_context(tenant_a.schema_name):
        assert not Customer.objects.exists()


def test_editing_a_plan_applies_to_its_subscribers_on_the_next_request(
    api_a, django_capture_on_commit_callbacks
):
    assert api_a.get("/api/v1/crm/reports/forecast/").status_code == 403
    basic = plan("crm", "basic")
    basic.features = [*basic.features, "crm.forecasting"]

    with django_capture_on_commit_callbacks(execute=True):
        basic.save()  # as the console does; no service call needed

    assert api_a.get("/api/v1/crm/reports/forecast/").status_code == 200

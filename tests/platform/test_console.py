"""The platform console (Django admin on the public host): tenants, catalog, subscriptions and
monitoring, every write through the services; none of it reachable from a tenant's admin."""

import json
import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.urls import reverse

from apps.platform.catalog.models import Plan
from apps.platform.licensing import entitlements
from apps.platform.licensing.models import Subscription, SubscriptionEvent
from apps.platform.licensing.services import subscription_activate
from apps.platform.tenants.constants import OFFBOARD_TASK, PROVISION_TASK
from apps.platform.tenants.models import Tenant
from tests.conftest import HostClient
from tests.dispatching import record_dispatch

pytestmark = pytest.mark.django_db

OPERATOR, OPERATOR_PASSWORD = "platform-op", "op-password-1"
Action = SubscriptionEvent.Action

TENANTS_URL = "/admin/tenants/tenant/"
SUBSCRIPTIONS_URL = "/admin/licensing/subscription/"
MONITORING_URL = "/admin/tenants/tenant/monitoring/"


@pytest.fixture
def console(db) -> HostClient:
    """Platform staff signed in to the console on the public host."""
    from apps.identity.models import User

    connection.set_schema_to_public()
    User.objects.create_superuser(OPERATOR, "op@example.com", OPERATOR_PASSWORD)
    return HostClient("localhost").sign_in(OPERATOR, OPERATOR_PASSWORD)


@pytest.fixture
def provision_calls(monkeypatch) -> list:
    return record_dispatch(monkeypatch, PROVISION_TASK)


@pytest.fixture
def offboard_calls(monkeypatch) -> list:
    return record_dispatch(monkeypatch, OFFBOARD_TASK)


def bare_tenant(slug: str, status: str = Tenant.Status.ACTIVE, **fields) -> Tenant:
    """A tenant row without a schema: enough for the lifecycle services, which flip states."""
    return Tenant.objects.create(
        name=fields.pop("name", slug.replace("-", " ").title()),
        slug=slug,
        schema_name=slug.replace("-", "_"),
        status=status,
        **fields,
    )


def subscription_of(tenant: Tenant, app_key: str) -> Subscription:
    return Subscription.objects.select_related("plan").get(tenant=tenant, app__key=app_key)


def run_action(client, url, action, objects, *, follow=True, **extra):
    """Post an admin action for the selected objects, as the change list's action bar does."""
    data = {"action": action, ACTION_CHECKBOX_NAME: [obj.pk for obj in objects], "index": "0"}
    return client.post(url, {**data, **extra}, follow=follow)


def page_text(response) -> str:
    return response.content.decode()


# --- Tenants ---------------------------------------------------------------------------------


def test_tenant_list_shows_each_organisation_with_status_and_apps(console, tenant_a, tenant_b):
    response = console.get(TENANTS_URL)

    listed = {tenant.slug for tenant in response.context["cl"].result_list}
    assert response.status_code == 200
    assert {"tenant-a", "tenant-b"} <= listed
    assert "public" not in listed  # the platform's own row is no organisation
    html = page_text(response)
    assert 'dm-badge dm-badge--green">Active' in html
    assert "Project Management" in html  # tenant B's apps
    assert "E-commerce" in html  # tenant A's apps


def test_tenant_list_filters_by_status_and_searches(console, tenant_a):
    bare_tenant("broken-co", Tenant.Status.FAILED)

    failed = console.get(TENANTS_URL, {"status__exact": "failed"})
    searched = console.get(TENANTS_URL, {"q": "tenant-a"})

    assert [t.slug for t in failed.context["cl"].result_list] == ["broken-co"]
    assert [t.slug for t in searched.context["cl"].result_list] == ["tenant-a"]


def test_tenant_page_shows_hosts_subscriptions_and_read_only_provisioning(console, tenant_a):
    crm = subscription_of(tenant_a, "crm")

    response = console.get(f"{TENANTS_URL}{tenant_a.pk}/change/")

    html = page_text(response)
    assert response.status_code == 200
    assert "tenant-a.localhost" in html  # hosts inline
    assert reverse("admin:licensing_subscription_change", args=[crm.pk]) in html
    assert "CRM" in html
    assert "Trial" in html
    assert 'name="name"' in html  # the display name is editable ...
    for read_only in ["slug", "provisioning_step", "provisioning_attempts", "status_reason"]:
        assert f'name="{read_only}"' not in html  # ... provisioning is not
    assert "Suspend" in html  # lifecycle button of an active tenant
    assert "Resume" not in html


def test_console_add_form_requests_the_tenant_and_queues_its_provisioning(
    console, provision_calls, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = console.post(
            f"{TENANTS_URL}add/",
            {
                "name": "Console Made",
                "slug": "console-made",
                "admin_email": "boss@console-made.example.com",
                "admin_username": "",
                "admin_password": "a-long-password-1",
                "apps": ["isp", "crm"],
            },
        )

    tenant = Tenant.objects.get(slug="console-made")
    assert response.status_code == 302
    assert tenant.status == Tenant.Status.PENDING
    assert tenant.source == Tenant.Source.CONSOLE
    assert tenant.admin_username == "boss"
    assert sorted(tenant.requested_apps) == ["crm", "isp"]
    assert tenant.admin_password_hash
    assert "a-long-password-1" not in tenant.admin_password_hash
    assert provision_calls == [tenant.pk]


@pytest.mark.parametrize(
    ("slug", "password", "error"),
    [
        ("tenant-a", "a-long-password-1", "already exists"),
        ("admin", "a-long-password-1", "reserved"),
        ("fresh-co", "123", "too short"),
    ],
)
def test_console_add_form_shows_what_is_wrong_and_creates_nothing(
    console, provision_calls, slug, password, error
):
    before = Tenant.objects.count()

    response = console.post(
        f"{TENANTS_URL}add/",
        {"name": "X", "slug": slug, "admin_email": "x@x.example.com", "admin_password": password},
    )

    assert response.status_code == 200
    assert error in page_text(response)
    assert Tenant.objects.count() == before
    assert provision_calls == []


def test_suspend_and_resume_actions_move_the_tenant_and_say_so(console):
    acme = bare_tenant("acme-co", name="Acme")

    suspended = run_action(console, TENANTS_URL, "suspend_tenants", [acme])
    acme.refresh_from_db()
    assert acme.status == Tenant.Status.SUSPENDED
    assert OPERATOR in acme.status_reason
    assert "Acme suspended." in page_text(suspended)

    resumed = run_action(console, TENANTS_URL, "resume_tenants", [acme])
    acme.refresh_from_db()
    assert acme.status == Tenant.Status.ACTIVE
    assert "Acme resumed." in page_text(resumed)
    history = LogEntry.objects.filter(object_id=str(acme.pk)).order_by("action_time")
    assert [entry.change_message for entry in history] == ["Acme suspended.", "Acme resumed."]


def test_action_reports_each_tenant_it_could_not_move(console):
    active = bare_tenant("still-on", name="Still On")
    off = bare_tenant("gone-off", Tenant.Status.SUSPENDED, name="Gone Off")

    response = run_action(console, TENANTS_URL, "resume_tenants", [active, off])

    html = page_text(response)
    assert "Gone Off resumed." in html
    assert "Could not resume Still On: Only a suspended tenant can be resumed" in html
    active.refresh_from_db()
    assert active.status == Tenant.Status.ACTIVE


def test_change_page_button_runs_the_action_and_comes_back(console):
    acme = bare_tenant("acme-co", name="Acme")
    change_url = f"{TENANTS_URL}{acme.pk}/change/"

    response = console.post(
        TENANTS_URL,
        {"action": "suspend_tenants", ACTION_CHECKBOX_NAME: [acme.pk], "next": change_url},
    )

    acme.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == change_url
    assert acme.status == Tenant.Status.SUSPENDED


def test_retry_action_queues_a_failed_provisioning_again(
    console, provision_calls, django_capture_on_commit_callbacks
):
    broken = bare_tenant("broken-co", Tenant.Status.FAILED, status_reason="schema: boom")

    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(console, TENANTS_URL, "retry_provisioning", [broken])

    broken.refresh_from_db()
    assert broken.status == Tenant.Status.PENDING
    assert broken.status_reason == ""
    assert provision_calls == [broken.pk]
    assert "queued again" in page_text(response)


def test_offboarding_asks_for_confirmation_before_queuing_the_task(
    console, offboard_calls, django_capture_on_commit_callbacks
):
    acme = bare_tenant("acme-co", Tenant.Status.SUSPENDED, name="Acme")

    confirmation = run_action(console, TENANTS_URL, "offboard_tenants", [acme], follow=False)
    assert confirmation.status_code == 200
    assert "drops its schema" in page_text(confirmation)
    assert offboard_calls == []

    with django_capture_on_commit_callbacks(execute=True):  # the task is sent once committed
        done = console.post(
            TENANTS_URL,
            {"action": "offboard_tenants", ACTION_CHECKBOX_NAME: [acme.pk], "confirm": "yes"},
            follow=True,
        )
    assert offboard_calls == [acme.pk]
    assert "Offboarding of Acme is queued" in page_text(done)


def test_export_archive_downloads_for_staff_and_is_404_when_missing(console, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "platform-exports").mkdir()
    (tmp_path / "platform-exports" / "gone-co.zip").write_bytes(b"PK-archive")
    gone = bare_tenant(
        "gone-co", Tenant.Status.OFFBOARDED, export_archive="platform-exports/gone-co.zip"
    )
    lost = bare_tenant(
        "lost-co", Tenant.Status.OFFBOARDED, export_archive="platform-exports/lost-co.zip"
    )
    sneaky = bare_tenant("sneaky-co", Tenant.Status.OFFBOARDED, export_archive="../../etc/passwd")

    download = console.get(f"{TENANTS_URL}{gone.pk}/export/")
    page = console.get(f"{TENANTS_URL}{gone.pk}/change/")

    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"PK-archive"
    assert "attachment" in download["Content-Disposition"]
    assert f"{TENANTS_URL}{gone.pk}/export/" in page_text(page)
    assert console.get(f"{TENANTS_URL}{lost.pk}/export/").status_code == 404
    assert console.get(f"{TENANTS_URL}{sneaky.pk}/export/").status_code == 404


def queries_for(client, url) -> int:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "url", [TENANTS_URL, SUBSCRIPTIONS_URL, "/admin/licensing/subscriptionevent/"]
)
def test_console_lists_cost_the_same_queries_whatever_their_length(console, url):
    from apps.platform.licensing.services import subscription_create

    queries_for(console, url)  # warm the per-process caches (content types, sessions)
    before = queries_for(console, url)
    for n in range(4):
        tenant = bare_tenant(f"more-co-{n}")
        for app_key in ("crm", "projects"):
            plan = Plan.objects.get(app__key=app_key, key="basic")
            subscription_create(tenant=tenant, plan=plan, actor="test")

    assert queries_for(console, url) == before


# --- Catalog ---------------------------------------------------------------------------------


def test_catalog_pages_list_apps_with_their_plans(console):
    apps = console.get("/admin/catalog/app/")
    crm = console.get(
        f"/admin/catalog/app/{Plan.objects.filter(app__key='crm').first().app_id}/change/"
    )

    assert apps.status_code == 200
    assert "ISP Framework" in page_text(apps)
    assert crm.status_code == 200
    assert "crm.forecasting" in page_text(crm)  # plans inline, features as JSON


def test_editing_a_plan_invalidates_entitlements_once_committed(
    console, django_capture_on_commit_callbacks
):
    plan = Plan.objects.get(app__key="crm", key="pro")

    with django_capture_on_commit_callbacks() as callbacks:
        response = console.post(
            f"/admin/catalog/plan/{plan.pk}/change/",
            {
                "name": plan.name,
                "position": plan.position,
                "price": "89.00",
                "currency": plan.currency,
                "billing_period": plan.billing_period,
                "trial_days": plan.trial_days,
                "is_active": "on",
                "features": json.dumps(plan.features + ["crm.api_webhooks"]),
                "limits": json.dumps({"crm.max_users": 30}),
            },
        )

    plan.refresh_from_db()
    assert response.status_code == 302
    assert str(plan.price) == "89.00"
    assert plan.limits == {"crm.max_users": 30}
    assert entitlements.invalidate in callbacks


def test_plan_with_malformed_limits_is_refused(console):
    plan = Plan.objects.get(app__key="crm", key="pro")

    response = console.post(
        f"/admin/catalog/plan/{plan.pk}/change/",
        {
            "name": plan.name, "position": plan.position, "price": "79.00", "currency": "USD",
            "billing_period": "monthly", "trial_days": 14, "is_active": "on",
            "features": "[]", "limits": json.dumps({"crm.max_users": -3}),
        },
    )  # fmt: skip

    plan.refresh_from_db()
    assert response.status_code == 200
    assert "whole number" in page_text(response)
    assert plan.limits == {"crm.max_users": 25, "platform.max_storage_mb": 10240,
                           "platform.max_db_mb": 10240}  # fmt: skip


# --- Subscriptions ---------------------------------------------------------------------------


def test_subscription_list_shows_status_and_monthly_value_and_filters_by_app(console, tenant_a):
    crm = subscription_of(tenant_a, "crm")

    everything = console.get(SUBSCRIPTIONS_URL)
    only_crm = console.get(SUBSCRIPTIONS_URL, {"app__id__exact": crm.app_id})
    by_tenant = console.get(SUBSCRIPTIONS_URL, {"q": "tenant-b"})

    assert everything.status_code == 200
    assert "dm-badge--blue" in page_text(everything)  # trials
    assert {s.app.key for s in only_crm.context["cl"].result_list} == {"crm"}
    assert {s.tenant.slug for s in by_tenant.context["cl"].result_list} == {"tenant-b"}


def test_start_trial_from_the_add_form_goes_through_the_service(console):
    acme = bare_tenant("acme-co")
    plan = Plan.objects.get(app__key="crm", key="pro")

    response = console.post(
        f"{SUBSCRIPTIONS_URL}add/", {"tenant": acme.pk, "plan": plan.pk, "status": "trial"}
    )

    subscription = Subscription.objects.get(tenant=acme)
    assert response.status_code == 302
    assert subscription.status == Subscription.Status.TRIAL
    assert subscription.trial_ends_at is not None
    event = subscription.events.get()
    assert (event.action, event.actor) == (Action.TRIAL_STARTED, OPERATOR)


def test_add_form_refuses_a_second_subscription_to_the_same_app(console, tenant_a):
    plan = Plan.objects.get(app__key="crm", key="enterprise")

    response = console.post(
        f"{SUBSCRIPTIONS_URL}add/",
        {"tenant": tenant_a.pk, "plan": plan.pk, "status": "active"},
        follow=True,
    )

    assert "already has a subscription to CRM" in page_text(response)
    assert subscription_of(tenant_a, "crm").plan.key == "basic"


def test_activate_suspend_and_cancel_actions_record_the_history(console, tenant_a):
    crm = subscription_of(tenant_a, "crm")

    for action, status, event_action, message in [
        ("activate_subscriptions", "active", Action.ACTIVATED, "activated."),
        ("suspend_subscriptions", "suspended", Action.SUSPENDED, "suspended."),
        ("cancel_subscriptions", "cancelled", Action.CANCELLED, "cancelled."),
    ]:
        response = run_action(console, SUBSCRIPTIONS_URL, action, [crm])

        crm.refresh_from_db()
        latest = crm.events.order_by("-id").first()
        assert crm.status == status
        assert (latest.action, latest.actor) == (event_action, OPERATOR)
        assert f"Tenant A · CRM {message}" in page_text(response)


def test_refused_transition_is_reported_and_changes_nothing(console, tenant_a):
    crm = subscription_of(tenant_a, "crm")
    events_before = crm.events.count()

    response = run_action(console, SUBSCRIPTIONS_URL, "cancel_subscriptions", [crm])
    again = run_action(console, SUBSCRIPTIONS_URL, "cancel_subscriptions", [crm])

    assert "Tenant A · CRM cancelled." in page_text(response)
    assert "Could not cancel Tenant A · CRM" in page_text(again)
    assert crm.events.count() == events_before + 1


def test_change_plan_offers_the_apps_plans_then_moves_the_subscription(console, tenant_a):
    crm = subscription_of(tenant_a, "crm")
    pro = Plan.objects.get(app__key="crm", key="pro")

    choose = run_action(console, SUBSCRIPTIONS_URL, "change_plan", [crm], follow=False)
    offered = {plan.key for plan in choose.context["form"].fields["plan"].queryset}
    assert choose.status_code == 200
    assert offered == {"basic", "pro", "enterprise"}
    assert all(plan.app.key == "crm" for plan in choose.context["form"].fields["plan"].queryset)

    done = console.post(
        SUBSCRIPTIONS_URL,
        {
            "action": "change_plan",
            ACTION_CHECKBOX_NAME: [crm.pk],
            "apply": "1",
            "plan": pro.pk,
            "note": "upsell call",
        },
        follow=True,
    )

    crm.refresh_from_db()
    event = crm.events.order_by("-id").first()
    assert crm.plan == pro
    assert (event.action, event.from_plan.key, event.to_plan, event.note) == (
        Action.PLAN_CHANGED, "basic", pro, "upsell call",
    )  # fmt: skip
    assert "moved to the Pro plan" in page_text(done)


def test_change_plan_refuses_subscriptions_of_several_apps(console, tenant_a):
    isp, crm = subscription_of(tenant_a, "isp"), subscription_of(tenant_a, "crm")
    # Counted before and after: a committed test elsewhere (tests/platform/test_licensing.py's
    # upgrade in every worker) leaves plan changes of its own in the history.
    changes = SubscriptionEvent.objects.filter(
        subscription__in=[isp, crm], action=Action.PLAN_CHANGED
    )
    before = changes.count()

    response = run_action(console, SUBSCRIPTIONS_URL, "change_plan", [isp, crm])

    assert "Select subscriptions of a single app" in page_text(response)
    assert changes.count() == before


def overrides_form(subscription, features, limits, note=""):
    # The events inline is read-only: its management form is all the change form expects.
    return {
        "feature_overrides": json.dumps(features),
        "limit_overrides": json.dumps(limits),
        "override_note": note,
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
        "events-MIN_NUM_FORMS": "0",
        "events-MAX_NUM_FORMS": "0",
    }


def test_editing_overrides_goes_through_the_service_and_is_recorded(console, tenant_a):
    crm = subscription_of(tenant_a, "crm")

    response = console.post(
        f"{SUBSCRIPTIONS_URL}{crm.pk}/change/",
        overrides_form(crm, {"crm.forecasting": True}, {"crm.max_users": 50}, "pilot"),
    )

    crm.refresh_from_db()
    event = crm.events.order_by("-id").first()
    assert response.status_code == 302
    assert crm.feature_overrides == {"crm.forecasting": True}
    assert crm.limit_overrides == {"crm.max_users": 50}
    assert (event.action, event.actor, event.note) == (Action.OVERRIDES_CHANGED, OPERATOR, "pilot")
    assert event.changes["after"]["limits"] == {"crm.max_users": 50}


def test_malformed_overrides_are_refused_and_nothing_is_recorded(console, tenant_a):
    crm = subscription_of(tenant_a, "crm")
    events_before = crm.events.count()

    response = console.post(
        f"{SUBSCRIPTIONS_URL}{crm.pk}/change/",
        overrides_form(crm, {"crm.forecasting": "yes"}, {"crm.max_users": -1}),
    )

    assert response.status_code == 200
    assert "true or false" in page_text(response)
    assert crm.events.count() == events_before


def test_subscription_page_shows_its_history_and_no_editable_plan_or_status(console, tenant_a):
    crm = subscription_of(tenant_a, "crm")

    html = page_text(console.get(f"{SUBSCRIPTIONS_URL}{crm.pk}/change/"))

    assert "Trial started" in html  # the events inline
    assert 'name="feature_overrides"' in html
    for read_only in ["plan", "status", "trial_ends_at", "tenant"]:
        assert f'name="{read_only}"' not in html
    assert "Change plan…" in html
    assert "Activate" in html


def test_subscription_events_are_read_only(console, tenant_a):
    event = subscription_of(tenant_a, "crm").events.first()

    listing = console.get("/admin/licensing/subscriptionevent/", {"action__exact": "trial_started"})
    detail = console.get(f"/admin/licensing/subscriptionevent/{event.pk}/change/")

    assert listing.status_code == 200
    assert detail.status_code == 200
    assert 'name="_save"' not in page_text(detail)
    assert console.get("/admin/licensing/subscriptionevent/add/").status_code == 403
    assert console.post(f"/admin/licensing/subscriptionevent/{event.pk}/delete/").status_code == 403


# --- Monitoring ------------------------------------------------------------------------------


def test_monitoring_shows_revenue_plans_usage_and_provisioning_failures(console, tenant_a):
    subscription_activate(subscription=subscription_of(tenant_a, "isp"), actor="test")
    bare_tenant(
        "broken-co",
        Tenant.Status.FAILED,
        name="Broken Co",
        status_reason="schema: OperationalError: disk full",
    )

    response = console.get(MONITORING_URL)

    html = page_text(response)
    assert response.status_code == 200
    assert response.context["mrr_total"] == Plan.objects.get(app__key="isp", key="basic").price
    assert "49.00" in html
    plan_rows = {(row["app"], row["plan"]) for row in response.context["plan_rows"]}
    assert {("ISP Framework", "Basic"), ("CRM", "Basic"), ("Project Management", "Basic")} <= (
        plan_rows
    )
    assert response.context["counts"].failed == 1
    assert "Broken Co" in html
    assert "disk full" in html
    assert 'value="retry_provisioning"' in html
    assert "isp.max_customers" in html  # usage of the active tenants' limits
    # Each limit line says what is used of it (every catalog app meters its limits now).
    assert re.search(r"\d+ / \d+|not metered yet|unlimited", html)


def test_monitoring_flags_a_limit_reached_and_shows_unlimited_and_unmetered_ones(
    console, tenant_a, monkeypatch
):
    from apps.core.registry import registry
    from apps.platform.licensing.services import subscription_set_overrides

    subscription_set_overrides(
        subscription=subscription_of(tenant_a, "commerce"),
        actor="test",
        limits={"commerce.max_products": None},
    )
    monkeypatch.setitem(registry.usage_counters, "crm.max_users", lambda: 7)  # plan: 5
    monkeypatch.setitem(registry.usage_counters, "commerce.max_products", lambda: 3)
    monkeypatch.delitem(registry.usage_counters, "isp.max_customers", raising=False)

    response = console.get(MONITORING_URL)

    usage = dict(response.context["usage"])[tenant_a]
    lines = {line.limit_key: line for line in usage}
    assert lines["crm.max_users"].exceeded
    assert lines["commerce.max_products"].limit is None
    assert lines["isp.max_customers"].used is None
    html = page_text(response)
    assert "7 / 5" in html
    assert "limit reached" in html
    assert "dm-progress is-over" in html
    assert "3 used" in html
    assert "unlimited" in html
    assert "not metered yet" in html


def test_admin_index_links_the_monitoring_page(console):
    html = page_text(console.get("/admin/"))

    assert MONITORING_URL in html
    assert "DotMac" in html


# --- Who may see the console -----------------------------------------------------------------


def console_urls(tenant: Tenant) -> list[str]:
    subscription = Subscription.objects.filter(tenant=tenant).first()
    return [
        TENANTS_URL,
        f"{TENANTS_URL}add/",
        f"{TENANTS_URL}{tenant.pk}/change/",
        f"{TENANTS_URL}{tenant.pk}/export/",
        MONITORING_URL,
        "/admin/tenants/",
        "/admin/catalog/app/",
        "/admin/catalog/plan/",
        "/admin/catalog/",
        SUBSCRIPTIONS_URL,
        f"{SUBSCRIPTIONS_URL}{subscription.pk}/change/",
        "/admin/licensing/subscriptionevent/",
        "/admin/licensing/",
    ]


def test_anonymous_and_non_staff_users_are_sent_to_the_login_page(public_client, tenant_a):
    from apps.identity.models import User

    connection.set_schema_to_public()
    visitor = User.objects.create_user("visitor", password="visitor-password-1")
    signed_in = HostClient("localhost")
    signed_in.force_login(visitor)

    for client in (public_client, signed_in):
        for url in console_urls(tenant_a):
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/admin/login/"), url


def test_a_tenants_super_admin_never_reaches_the_platform_console(client_a, tenant_a, tenant_b):
    client_a.sign_in()

    index = page_text(client_a.get("/admin/"))
    for url in console_urls(tenant_b) + console_urls(tenant_a):
        response = client_a.get(url)
        assert response.status_code in (302, 403, 404), url
        assert tenant_b.name.encode() not in response.content, url
    attempt = run_action(client_a, TENANTS_URL, "suspend_tenants", [tenant_b], follow=False)

    assert "/admin/tenants/" not in index
    assert "/admin/catalog/" not in index
    assert "/admin/licensing/" not in index
    assert MONITORING_URL not in index
    assert "platform console" not in index
    assert attempt.status_code in (302, 403, 404)
    tenant_b.refresh_from_db()
    assert tenant_b.status == Tenant.Status.ACTIVE

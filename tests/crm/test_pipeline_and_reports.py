"""The pipeline (moves recorded, closing and reopening), and the reports with their plan gate
(crm.forecasting: refused on the trial's Basic plan, allowed on Pro)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.core.models import AuditEntry
from apps.crm import selectors
from apps.crm.models import Opportunity, Stage, StageChange
from apps.platform.catalog.models import Plan
from apps.platform.licensing import services as licensing
from apps.platform.licensing.models import Subscription
from tests.crm.factories import AccountFactory, LeadFactory, OpportunityFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls_tenant")]


def stage(tenant, name: str) -> Stage:
    with schema_context(tenant.schema_name):
        return Stage.objects.get(name=name)


@pytest.fixture
def deal(people, tenant_a):
    with schema_context(tenant_a.schema_name):
        return OpportunityFactory(owner=people["mike"], amount=Decimal("1000"))


@pytest.fixture
def pro_plan(tenant_a, django_capture_on_commit_callbacks):
    """Tenant A's CRM on the Pro plan for this test (rolled back with it)."""
    subscription = Subscription.objects.get(tenant=tenant_a, app__key="crm")
    with django_capture_on_commit_callbacks(execute=True):
        licensing.subscription_change_plan(
            subscription=subscription,
            plan=Plan.objects.get(app__key="crm", key="pro"),
            actor="test",
        )


# --- Moves --------------------------------------------------------------------------------------


def test_moving_an_opportunity_records_the_change(people, tenant_a, deal):
    proposal = stage(tenant_a, "Proposal")

    response = people.api("mike").post_json(
        f"/api/v1/crm/opportunities/{deal.pk}/move/", {"stage": proposal.pk}
    )
    history = people.api("mike").get(f"/api/v1/crm/opportunities/{deal.pk}/history/")

    assert response.status_code == 200, response.content
    assert response.json()["data"]["attributes"]["stage_name"] == "Proposal"
    change = history.json()["data"][0]["attributes"]
    assert (change["from_name"], change["to_name"], change["changed_by"]) == (
        "Prospecting",
        "Proposal",
        "Mike",
    )
    with schema_context(tenant_a.schema_name):
        assert AuditEntry.objects.filter(action="move", object_id=str(deal.pk)).exists()
        assert AuditEntry.objects.filter(object_type="crm.stagechange").exists()


def test_a_won_or_lost_stage_closes_the_deal_and_an_open_one_reopens_it(people, tenant_a, deal):
    mike = people.api("mike")
    url = f"/api/v1/crm/opportunities/{deal.pk}/move/"

    lost = mike.post_json(url, {"stage": stage(tenant_a, "Lost").pk, "lost_reason": "Price"})
    reopened = mike.post_json(url, {"stage": stage(tenant_a, "Negotiation").pk})
    won = mike.post_json(url, {"stage": stage(tenant_a, "Won").pk})

    lost_attrs = lost.json()["data"]["attributes"]
    assert (lost_attrs["lost_reason"], lost_attrs["closed_at"] is not None) == ("Price", True)
    reopened_attrs = reopened.json()["data"]["attributes"]
    assert (reopened_attrs["lost_reason"], reopened_attrs["closed_at"]) == ("", None)
    assert won.json()["data"]["attributes"]["closed_at"] is not None
    with schema_context(tenant_a.schema_name):
        assert StageChange.objects.filter(opportunity=deal).count() == 3


def test_a_colleague_without_access_cannot_move_the_deal(people, tenant_a, deal):
    response = people.api("sarah").post_json(
        f"/api/v1/crm/opportunities/{deal.pk}/move/", {"stage": stage(tenant_a, "Won").pk}
    )

    assert response.status_code == 404


def test_changing_the_stage_by_editing_records_the_move_too(people, tenant_a, deal):
    response = people.api("mike").patch(
        f"/api/v1/crm/opportunities/{deal.pk}/",
        {"stage": stage(tenant_a, "Proposal").pk},
        content_type="application/json",
    )

    assert response.status_code == 200
    with schema_context(tenant_a.schema_name):
        assert StageChange.objects.filter(opportunity=deal, to_name="Proposal").exists()


def test_the_boards_move_uses_the_same_service_as_the_api(people, tenant_a, deal):
    page = people.browser_client("mike")

    response = page.post(
        f"/crm/opportunities/{deal.pk}/move/",
        {"stage": stage(tenant_a, "Negotiation").pk},
        content_type="application/json",
    )
    bad = page.post(
        f"/crm/opportunities/{deal.pk}/move/", {"stage": 0}, content_type="application/json"
    )

    assert response.status_code == 200
    assert response.json()["stage_name"] == "Negotiation"
    assert bad.status_code == 400
    with schema_context(tenant_a.schema_name):
        assert Opportunity.objects.get(pk=deal.pk).stage.name == "Negotiation"
        assert StageChange.objects.filter(opportunity=deal, to_name="Negotiation").exists()
        assert AuditEntry.objects.filter(action="move", object_id=str(deal.pk)).exists()


def test_the_board_shows_a_column_per_stage_with_the_visible_cards(people, tenant_a, deal):
    with schema_context(tenant_a.schema_name):
        hidden = OpportunityFactory(owner=people["sarah"], name="Sarah's secret deal")

    board = people.browser_client("mike").get("/crm/pipeline/").content.decode()

    for name in ("Prospecting", "Qualification", "Proposal", "Negotiation", "Won", "Lost"):
        assert f'data-stage-name="{name}"' in board
    assert f'id="deal-{deal.pk}"' in board
    assert f'id="deal-{hidden.pk}"' not in board


# --- Reports ------------------------------------------------------------------------------------


@pytest.fixture
def sales(people, tenant_a):
    """Mike's pipeline: two open deals this month and next, one won, one lost; leads from two
    sources, one of them converted."""
    today = timezone.localdate()
    next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    with schema_context(tenant_a.schema_name):
        account = AccountFactory(owner=people["mike"])
        stages = {s.name: s for s in Stage.objects.all()}
        for name, amount, when in (
            ("Proposal", "1000", today),
            ("Negotiation", "2000", next_month),
            ("Won", "500", today),
            ("Lost", "1500", today),
        ):
            OpportunityFactory(
                owner=people["mike"],
                account=account,
                stage=stages[name],
                amount=Decimal(amount),
                expected_close_date=when,
            )
        LeadFactory(
            owner=people["mike"], source="event", status="converted", converted_at=timezone.now()
        )
        LeadFactory(owner=people["mike"], source="event", status="new")
        LeadFactory(owner=people["mike"], source="website", status="new")
    return today, next_month


def test_reports_compute_pipeline_win_rate_and_conversion(people, tenant_a, sales):
    mike = people.api("mike")

    pipeline = {
        r["attributes"]["stage"]: r["attributes"]["value"]
        for r in mike.get("/api/v1/crm/reports/pipeline/").json()["data"]
    }
    win = mike.get("/api/v1/crm/reports/win-rate/").json()["data"]["attributes"]
    conversion = {
        r["id"]: r["attributes"]["rate"]
        for r in mike.get("/api/v1/crm/reports/lead-conversion/").json()["data"]
    }

    assert pipeline == {
        "Prospecting": "0",
        "Qualification": "0",
        "Proposal": "1000.00",
        "Negotiation": "2000.00",
    }
    assert (win["won"], win["lost"], win["rate"]) == (1, 1, 50.0)
    assert conversion == {"event": 50.0, "website": 0.0}


def test_the_weighted_forecast_is_refused_on_the_trial_plan(people, tenant_a, sales):
    trial = Subscription.objects.select_related("plan").get(tenant=tenant_a, app__key="crm")
    assert (trial.status, trial.plan.key) == ("trial", "basic")

    api = people.api("mike").get("/api/v1/crm/reports/forecast/")
    page = people.browser_client("mike")
    section = page.get("/crm/reports/").content.decode()
    forecast_page = page.get("/crm/reports/forecast/")

    assert api.status_code == 403
    error = api.json()["error"]
    assert error["code"] == "FEATURE_NOT_IN_PLAN"
    assert [d["plan"] for d in error["details"]] == ["pro", "enterprise"]
    assert "The forecast is part of CRM Pro" in section
    assert forecast_page.status_code == 403


def test_the_weighted_forecast_is_served_on_pro(people, tenant_a, sales, pro_plan):
    today, next_month = sales

    api = people.api("mike").get("/api/v1/crm/reports/forecast/")
    page = people.browser_client("mike")
    section = page.get("/crm/reports/").content.decode()
    forecast_page = page.get("/crm/reports/forecast/")

    assert api.status_code == 200, api.content
    rows = {r["attributes"]["month"]: r["attributes"]["weighted"] for r in api.json()["data"]}
    # Proposal 1000 × 50 % this month; Negotiation 2000 × 75 % next month.
    assert rows == {today.strftime("%b %Y"): "500.00", next_month.strftime("%b %Y"): "1500.00"}
    assert "The forecast is part of CRM Pro" not in section
    assert 'aria-label="Weighted forecast by month"' in section
    assert forecast_page.status_code == 200
    assert "2,000.00" in forecast_page.content.decode()  # the month's total, before weighting


def test_the_reports_page_draws_its_charts_server_side(people, sales):
    page = people.browser_client("mike").get("/crm/reports/").content.decode()

    assert page.count("<svg") >= 2
    assert "<script" not in page.split("<main")[1]
    assert "Event" in page
    assert "50.0%" in page


def test_reports_cover_only_what_the_user_can_see(people, tenant_a, sales):
    with schema_context(tenant_a.schema_name):
        OpportunityFactory(
            owner=people["sarah"], amount=Decimal("99999"), stage=Stage.objects.get(name="Proposal")
        )
        mike_view = {b.label: b.value for b in selectors.pipeline_by_stage(people["mike"])}
        boss_view = {b.label: b.value for b in selectors.pipeline_by_stage(people["boss"])}

    assert mike_view["Proposal"] == Decimal("1000")
    assert boss_view["Proposal"] == Decimal("100999")


def test_an_undated_deal_is_left_out_of_the_forecast(people, tenant_a):
    with schema_context(tenant_a.schema_name):
        OpportunityFactory(owner=people["mike"], expected_close_date=None)
        OpportunityFactory(
            owner=people["mike"], expected_close_date=date(2027, 5, 3), amount=Decimal("100")
        )
        bars = selectors.weighted_forecast(people["mike"])

    assert [(b.label, b.value) for b in bars] == [("May 2027", Decimal("10.00"))]

"""Dunning steps: a Pro/Enterprise feature (`isp.dunning`). The test tenants' ISP trials are on
Basic, which refuses them with FEATURE_NOT_IN_PLAN; an upgrade opens them at once."""

import pytest

from apps.platform.catalog.models import Plan
from apps.platform.licensing import services as licensing
from apps.platform.licensing.models import Subscription
from tests.isp.api_factories import DunningStepFactory
from tests.resource_base import ResourceTests

pytestmark = pytest.mark.django_db
STEPS = "/api/v1/isp/dunning-steps/"


def move_isp_to(slug: str, plan_key: str, capture) -> None:
    with capture(execute=True):  # the entitlement cache is invalidated on commit
        licensing.subscription_change_plan(
            subscription=Subscription.objects.get(tenant__slug=slug, app__key="isp"),
            plan=Plan.objects.get(app__key="isp", key=plan_key),
            actor="test",
        )


class TestDunningStepResource(ResourceTests):
    path = STEPS
    resource_type = "dunning_step"
    factory = DunningStepFactory
    create_data = {
        "name": "Last call",
        "days_overdue": 45,
        "action": "reminder",
        "email_subject": "Invoice {invoice}",
        "email_body": "Dear {customer}, please pay {amount}.",
    }
    update_data = {"days_overdue": 50, "is_active": False}

    @pytest.fixture(autouse=True)
    def _on_pro(self, db, django_capture_on_commit_callbacks):
        for slug in ("tenant-a", "tenant-b"):
            move_isp_to(slug, "pro", django_capture_on_commit_callbacks)


def test_the_basic_plan_refuses_dunning_with_the_plans_that_include_it(api_a):
    response = api_a.get(STEPS)

    error = response.json()["error"]
    assert response.status_code == 403
    assert error["code"] == "FEATURE_NOT_IN_PLAN"
    assert "isp.dunning" in error["message"]
    assert [detail["plan"] for detail in error["details"]] == ["pro", "enterprise"]
    assert api_a.post_json(STEPS, {"name": "x"}).json()["error"]["code"] == "FEATURE_NOT_IN_PLAN"


def test_upgrading_to_pro_opens_dunning_on_the_next_request(
    api_a, django_capture_on_commit_callbacks
):
    assert api_a.get(STEPS).status_code == 403

    move_isp_to("tenant-a", "pro", django_capture_on_commit_callbacks)
    response = api_a.get(f"{STEPS}?ordering=days_overdue")

    assert response.status_code == 200
    steps = [(r["attributes"]["days_overdue"], r["attributes"]["action"]) for r in
             response.json()["data"]]  # fmt: skip
    assert steps == [(7, "reminder"), (14, "reminder"), (21, "suspend")]


def test_the_feature_gate_answers_after_authentication(client_a):
    response = client_a.get(STEPS)

    assert response.status_code == 401


def test_two_steps_on_the_same_day_are_refused(api_a, django_capture_on_commit_callbacks):
    move_isp_to("tenant-a", "pro", django_capture_on_commit_callbacks)

    response = api_a.post_json(STEPS, {"name": "Again", "days_overdue": 7, "action": "reminder"})

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "days_overdue"

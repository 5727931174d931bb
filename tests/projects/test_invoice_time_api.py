"""POST /api/v1/projects/projects/{id}/invoice-time/: the project page's "Invoice billable
time" on the API (apps.projects.services.links.billable_time_charge) — project managers
only, each time log once, 409 without a linked ISP service, APP_NOT_SUBSCRIBED without ISP."""

import datetime
from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from apps.isp.models import PendingCharge
from apps.projects.models import Project, TimeLog, TimeLogCharge
from apps.projects.services import links
from tests.conftest import TENANTS
from tests.projects.factories import ProjectFactory, TaskFactory
from tests.projects.test_lead_to_cash import TEAM_ROLE, _plan, _schema, projects_in_a, team_a
from tests.resource_base import owner_api

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls_tenant")]

__all__ = ["projects_in_a", "team_a"]  # the fixtures, used by name

A, B, C = TENANTS["a"], TENANTS["b"], TENANTS["c"]


def _url(project) -> str:
    return f"/api/v1/projects/projects/{project.pk}/invoice-time/"


def _billable_project(tenant, *, linked: bool = True) -> tuple[Project, str]:
    """A project with two billable logs (one worth nothing) and one non-billable."""
    made = _plan(tenant)
    with schema_context(tenant.schema_name):
        from apps.identity.models import User

        owner = User.objects.get(username="owner")
        project = ProjectFactory(name="Install at Bureau")
        task = TaskFactory(project=project, title="Splice fibre")
        day = datetime.date(2026, 11, 3)
        for hours, rate, billable in (("2.00", "40.00", True), ("1.00", "0.00", True),
                                      ("3.00", "40.00", False)):  # fmt: skip
            TimeLog.objects.create(task=task, user=owner, work_date=day, hours=Decimal(hours),
                                   rate=Decimal(rate), billable=billable)  # fmt: skip
        if linked:
            links.project_link_set(project=project, role="service", ref=made["service"].pk)
    return project, str(made["service"].pk)


def test_invoicing_puts_billable_time_on_the_customer_once(projects_in_a, tenant_a):
    project, ref = _billable_project(tenant_a)
    api = owner_api(A)

    first = api.post_json(_url(project))
    again = api.post_json(_url(project))

    assert first.status_code == 200, first.content
    assert first.json()["data"]["attributes"] == {"charged": 1, "service": ref}
    assert again.status_code == 200
    assert again.json()["data"]["attributes"]["charged"] == 0  # nothing added twice
    with schema_context(tenant_a.schema_name):
        assert TimeLogCharge.objects.filter(time_log__task__project=project).count() == 1
        charge = PendingCharge.objects.get()
        assert charge.amount == Decimal("80.00")
        assert charge.source.startswith("projects.timelog:")


def test_without_a_linked_service_it_conflicts_and_writes_nothing(projects_in_a, tenant_a):
    project, _ = _billable_project(tenant_a, linked=False)

    answer = owner_api(A).post_json(_url(project))

    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "CONFLICT"
    with schema_context(tenant_a.schema_name):
        assert not TimeLogCharge.objects.exists()
        assert not PendingCharge.objects.exists()


def test_only_the_projects_managers_invoice_and_other_tenants_do_not_see_it(
    projects_in_a, tenant_a, team_a
):
    project, _ = _billable_project(tenant_a)
    team_a.member(project, "pm", "manager")
    team_a.member(project, "dev")
    team_a.add("outsider", TEAM_ROLE)

    member = team_a.api("dev").post_json(_url(project))
    outsider = team_a.api("outsider").post_json(_url(project))
    with schema_context(_schema(B)):
        assert not Project.objects.filter(pk=project.pk).exists()
    other = owner_api(B).post_json(_url(project))

    assert member.status_code == 403
    assert member.json()["error"]["code"] == "PERMISSION_DENIED"
    assert outsider.status_code == 404
    assert other.status_code == 404
    with schema_context(tenant_a.schema_name):
        assert not TimeLogCharge.objects.exists()

    manager = team_a.api("pm").post_json(_url(project))
    assert manager.status_code == 200, manager.content
    assert manager.json()["data"]["attributes"]["charged"] == 1


def test_a_tenant_without_isp_is_told_it_lacks_the_app(tenant_c):
    with schema_context(tenant_c.schema_name):
        project = ProjectFactory(name="No ISP here")

    answer = owner_api(C).post_json(_url(project))

    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "APP_NOT_SUBSCRIBED"

"""Lead-to-cash across apps (issue 14 §5), through the core registry only: a won CRM
opportunity starts a project from a template; the project's final milestone activates the ISP
service order it delivers (its first invoice); its billable time goes on the customer's next
invoice or out as CSV. Each step only where the tenant has both apps, nothing otherwise.

Tenant A (ISP, CRM, E-commerce) is given Project Management for the walk (`projects_in_a`);
without it, it is the tenant without Projects. Tenant C (CRM, Projects) has no ISP."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.crm.models import Opportunity, Stage
from apps.identity.models import Role
from apps.isp.models import Invoice, InvoiceLine, PendingCharge, Service
from apps.isp.services.runs import billing_run_execute, billing_run_request
from apps.platform.catalog.models import Plan
from apps.platform.licensing import services as licensing
from apps.platform.licensing.entitlements import invalidate
from apps.platform.licensing.models import Subscription
from apps.projects.models import Project, ProjectLink, TimeLog, TimeLogCharge
from apps.projects.services import links
from apps.projects.services.setup import projects_defaults_ensure
from tests.conftest import TENANTS, HostClient, host_of
from tests.crm.factories import AccountFactory, LeadFactory, OpportunityFactory
from tests.isp.factories import CustomerFactory, ServiceFactory, ServicePlanFactory
from tests.projects.conftest import TEAM_ROLE, Crew
from tests.projects.factories import ProjectFactory, TaskFactory, TemplateFactory
from tests.resource_base import owner_api

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls_tenant")]

CRM = "/api/v1/crm"
TASKS = "/api/v1/projects/tasks"
A, B, C = TENANTS["a"], TENANTS["b"], TENANTS["c"]


@pytest.fixture
def projects_in_a(tenant_a, django_capture_on_commit_callbacks):
    """Tenant A with Project Management (Enterprise: time tracking) for the test."""
    plan = Plan.objects.get(app__key="projects", key="enterprise")
    with django_capture_on_commit_callbacks(execute=True):
        licensing.subscription_create(tenant=tenant_a, plan=plan, status="active", actor="test")
    connection.set_schema_to_public()
    with schema_context(tenant_a.schema_name):
        projects_defaults_ensure()
    yield tenant_a
    connection.set_schema_to_public()
    Subscription.objects.filter(tenant=tenant_a, app__key="projects").delete()
    invalidate()  # the caches forget the test's subscription (its row goes with the rollback)


@pytest.fixture
def team_a(tenant_a):
    """Tenant A's people: pm and dev (Project Team: Projects only), rep (Sales Rep: CRM only)."""
    with schema_context(tenant_a.schema_name):
        Role.objects.get_or_create(name=TEAM_ROLE, defaults={"areas": ["projects"]})
    crew = Crew(tenant_a)
    crew.add("pm", TEAM_ROLE)
    crew.add("dev", TEAM_ROLE)
    crew.add("rep", "Sales Rep")
    return crew


def _step(title, start, days, milestone, after) -> dict:
    return {"title": title, "start_offset_days": start, "duration_days": days,
            "estimate_hours": "2", "milestone": milestone, "depends_on": after,
            "priority": "normal", "labels": []}  # fmt: skip


def _plan(tenant) -> dict:
    """A two-milestone template, a pending installation for an ISP customer."""
    with schema_context(tenant.schema_name):
        template = TemplateFactory(
            name="Fibre install (test)",
            milestones=[{"name": "Survey", "offset_days": 2},
                        {"name": "Installed", "offset_days": 10}],
            tasks=[
                _step("Site survey", 0, 2, 0, []),
                _step("Splice fibre", 3, 3, 1, [0]),
                _step("Install ONT", 6, 2, 1, [1]),
            ],
        )  # fmt: skip
        customer = CustomerFactory(name="Bureau Ltd", billing_day=1)
        plan = ServicePlanFactory(price=Decimal("30.00"), setup_fee=Decimal("50.00"))
        service = ServiceFactory(customer=customer, plan=plan)
    return {"template": template, "customer": customer, "service": service}


def browser(slug: str) -> HostClient:
    """The tenant's super admin signed in to the pages."""
    return HostClient(host_of(slug)).sign_in()


def _won_stage(tenant) -> Stage:
    with schema_context(tenant.schema_name):
        return Stage.objects.filter(kind="won").first()


def test_the_whole_path_from_lead_to_first_invoice(projects_in_a, tenant_a):
    """lead → converted → opportunity won → project from template → tasks done → service
    active → first invoice; then billable time on the next invoice, never twice."""
    made = _plan(tenant_a)
    api, web = owner_api(A), browser(A)
    with schema_context(tenant_a.schema_name):
        from apps.identity.models import User

        owner = User.objects.get(username="owner")
        lead = LeadFactory(owner=owner, first_name="Dana", last_name="Scully", company="Bureau",
                           email="dana@bureau.example", status="qualified")  # fmt: skip

    converted = api.post_json(f"{CRM}/leads/{lead.pk}/convert/",
                              {"opportunity_name": "Bureau fibre", "amount": "1200"})  # fmt: skip
    assert converted.status_code == 200, converted.content
    opportunity_pk = converted.json()["data"]["attributes"]["converted_opportunity"]
    start_url = f"{CRM}/opportunities/{opportunity_pk}/start-project/"

    not_yet = api.post_json(start_url, {"template": made["template"].pk})
    assert not_yet.status_code == 409, not_yet.content
    assert not_yet.json()["error"]["code"] == "CONFLICT"

    won = api.post_json(f"{CRM}/opportunities/{opportunity_pk}/move/",
                        {"stage": _won_stage(tenant_a).pk})  # fmt: skip
    assert won.status_code == 200, won.content
    page = web.get(f"/crm/opportunities/{opportunity_pk}/")
    assert b"Start project" in page.content
    assert b"Fibre install (test)" in page.content

    started = api.post_json(start_url, {"template": made["template"].pk})
    assert started.status_code == 201, started.content
    started = started.json()["data"]
    project_pk = int(started["id"])
    assert started["type"] == "project"
    assert started["attributes"]["name"] == "Bureau fibre"
    with schema_context(tenant_a.schema_name):
        project = Project.objects.get(pk=project_pk)
        assert project.tasks.count() == 3
        assert project.milestones.count() == 2
        assert ProjectLink.objects.filter(project=project, role="origin", app="crm",
                                          ref=str(opportunity_pk)).exists()  # fmt: skip
        done = project.columns.get(is_done=True)
        todo = project.columns.order_by("position").first()
        tasks = {t.title: t for t in project.tasks.all()}

    shown = web.get(f"/projects/{project_pk}/").content.decode()
    assert "Bureau fibre" in shown
    assert f"/crm/opportunities/{opportunity_pk}/" in shown
    assert "Delivers an ISP service" in shown  # ISP licensed: the service order can be linked
    opportunity_page = web.get(f"/crm/opportunities/{opportunity_pk}/").content.decode()
    assert f"/projects/{project_pk}/" in opportunity_page

    linked = web.post(f"/projects/{project_pk}/service-link/", {"ref": made["service"].pk})
    assert linked.status_code == 302
    shown = web.get(f"/projects/{project_pk}/").content.decode()
    assert f"/isp/services/{made['service'].pk}/" in shown
    assert "Bureau Ltd" in shown

    # the first milestone is not the final one: nothing yet
    move = api.post_json(f"{TASKS}/{tasks['Site survey'].pk}/move/", {"column": done.pk})
    assert move.status_code == 200, move.content
    with schema_context(tenant_a.schema_name):
        assert Service.objects.get(pk=made["service"].pk).status == "pending"
        for title in ("Splice fibre", "Install ONT"):
            assert api.post_json(f"{TASKS}/{tasks[title].pk}/move/",
                                 {"column": done.pk}).status_code == 200  # fmt: skip
        service = Service.objects.get(pk=made["service"].pk)
        assert service.status == "active"
        first = Invoice.objects.get(customer=made["customer"])
        kinds = sorted(first.lines.values_list("kind", flat=True))
        assert kinds == ["service", "setup"]
        assert ProjectLink.objects.get(project=project, role="service").reached_at is not None

    # completing again does nothing twice
    assert api.post_json(f"{TASKS}/{tasks['Install ONT'].pk}/move/",
                         {"column": todo.pk}).status_code == 200  # fmt: skip
    assert api.post_json(f"{TASKS}/{tasks['Install ONT'].pk}/move/",
                         {"column": done.pk}).status_code == 200  # fmt: skip
    with schema_context(tenant_a.schema_name):
        assert Invoice.objects.filter(customer=made["customer"]).count() == 1
        for task, hours, billable in ((tasks["Splice fibre"], "3.00", True),
                                      (tasks["Install ONT"], "1.50", True),
                                      (tasks["Site survey"], "2.00", False)):  # fmt: skip
            TimeLog.objects.create(task=task, user=owner, work_date=timezone.localdate(),
                                   hours=Decimal(hours), billable=billable,
                                   rate=Decimal("40.00"))  # fmt: skip

    invoiced = web.post(f"/projects/{project_pk}/invoice-time/")
    assert invoiced.status_code == 302
    again = web.post(f"/projects/{project_pk}/invoice-time/")
    assert again.status_code == 302
    with schema_context(tenant_a.schema_name):
        charges = PendingCharge.objects.filter(customer=made["customer"])
        assert sorted(c.amount for c in charges) == [Decimal("60.00"), Decimal("120.00")]
        assert TimeLogCharge.objects.filter(time_log__task__project=project).count() == 2

        run = billing_run_request(as_of=service.billed_until + datetime.timedelta(days=1),
                                  dispatch=False)  # fmt: skip
        billing_run_execute(run=run)
        second = Invoice.objects.filter(customer=made["customer"]).exclude(pk=first.pk).get()
        adjustments = InvoiceLine.objects.filter(invoice=second, kind="adjustment")
        assert sorted(line.amount for line in adjustments) == [Decimal("60.00"),
                                                               Decimal("120.00")]  # fmt: skip
        assert "Splice fibre: 3.00 h" in " ".join(adjustments.values_list("description",
                                                                          flat=True))  # fmt: skip
        assert second.subtotal == sum(second.lines.values_list("amount", flat=True))
        assert set(charges.values_list("invoice", flat=True)) == {second.pk}

    csv = web.get(f"/projects/{project_pk}/billable-time.csv")
    assert csv.status_code == 200
    assert csv["Content-Type"].startswith("text/csv")
    rows = csv.content.decode().strip().splitlines()
    assert rows[0].startswith("date,task,person,hours")
    assert len(rows) == 3
    assert all(row.endswith(",yes") for row in rows[1:])


def test_a_tenant_without_projects_offers_no_button_and_the_api_says_app_not_subscribed(
    tenant_a,
):
    api, web = owner_api(A), browser(A)
    with schema_context(tenant_a.schema_name):
        from apps.identity.models import User

        won = OpportunityFactory(owner=User.objects.get(username="owner"),
                                 stage=Stage.objects.filter(kind="won").first())  # fmt: skip

    page = web.get(f"/crm/opportunities/{won.pk}/")
    answer = api.post_json(f"{CRM}/opportunities/{won.pk}/start-project/", {"template": 1})
    posted = web.post(f"/crm/opportunities/{won.pk}/start-project/", {"template": 1})

    assert page.status_code == 200
    assert b"Start project" not in page.content
    assert b"Delivery" not in page.content
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "APP_NOT_SUBSCRIBED"
    assert posted.status_code == 302
    with schema_context(tenant_a.schema_name):
        assert not Project.objects.exists()


def test_a_tenant_without_isp_offers_no_service_link(tenant_c):
    web = browser(C)
    with schema_context(tenant_c.schema_name):
        project = ProjectFactory(name="No ISP here")

    page = web.get(f"/projects/{project.pk}/").content.decode()
    linked = web.post(f"/projects/{project.pk}/service-link/", {"ref": "1"})
    invoiced = web.post(f"/projects/{project.pk}/invoice-time/")
    csv = web.get(f"/projects/{project.pk}/billable-time.csv")

    assert "Delivers an ISP service" not in page
    assert "Invoice billable time" not in page
    assert "Export CSV" in page  # the CSV export is always there
    assert linked.status_code == 302
    assert invoiced.status_code == 302
    assert csv.status_code == 200
    with schema_context(tenant_c.schema_name):
        assert not ProjectLink.objects.filter(project=project).exists()
        assert links.registry.operation("isp.service_activate") is None


def test_start_project_checks_the_opportunity_the_template_and_who_asks(
    projects_in_a, tenant_a, team_a
):
    made = _plan(tenant_a)
    with schema_context(tenant_a.schema_name):
        from apps.identity.models import User

        owner = User.objects.get(username="owner")
        account = AccountFactory(owner=owner)
        won = OpportunityFactory(owner=owner, account=account, stage=_won_stage(tenant_a))
        reps = OpportunityFactory(owner=team_a["rep"], account=account,
                                  stage=_won_stage(tenant_a))  # fmt: skip
    api = owner_api(A)
    url = f"{CRM}/opportunities/{won.pk}/start-project/"

    bad = [api.post_json(url, body) for body in ({}, {"template": "x"}, {"template": 999999},
                                                   {"template": made["template"].pk,
                                                    "name": "x" * 201})]  # fmt: skip
    assert [r.status_code for r in bad] == [400, 400, 400, 400]
    assert {r.json()["error"]["code"] for r in bad} == {"VALIDATION_ERROR"}

    rep = team_a.api("rep")
    hidden = rep.post_json(url, {"template": made["template"].pk})  # not the rep's: unseen
    no_projects = rep.post_json(f"{CRM}/opportunities/{reps.pk}/start-project/",
                                {"template": made["template"].pk})  # fmt: skip
    page = team_a.browser("rep").get(f"/crm/opportunities/{reps.pk}/")
    assert hidden.status_code == 404
    assert no_projects.status_code == 403  # the rep's role does not open Projects
    assert no_projects.json()["error"]["code"] == "PERMISSION_DENIED"
    assert b"Start project" not in page.content
    with schema_context(tenant_a.schema_name):
        assert not Project.objects.exists()

    # another tenant's host: the id is not found there (tenant C has CRM and Projects)
    with schema_context(_schema(C)):
        assert not Opportunity.objects.filter(pk=won.pk).exists()
    other = owner_api(C).post_json(url, {"template": made["template"].pk})
    assert other.status_code == 404


def _schema(slug: str) -> str:
    from apps.platform.tenants.models import Tenant

    return Tenant.objects.get(slug=slug).schema_name


def test_the_project_pages_of_lead_to_cash_keep_to_members_and_managers(
    projects_in_a, tenant_a, team_a
):
    made = _plan(tenant_a)
    with schema_context(tenant_a.schema_name):
        project = ProjectFactory(name="Install at Bureau")
    team_a.member(project, "pm", "manager")
    team_a.member(project, "dev")
    pm, dev = team_a.browser("pm"), team_a.browser("dev")
    ref = made["service"].pk

    assert dev.post(f"/projects/{project.pk}/service-link/", {"ref": ref}).status_code == 403
    assert dev.post(f"/projects/{project.pk}/invoice-time/").status_code == 403
    assert dev.get(f"/projects/{project.pk}/billable-time.csv").status_code == 200
    assert b"Delivers an ISP service" not in dev.get(f"/projects/{project.pk}/").content
    assert b"Delivers an ISP service" in pm.get(f"/projects/{project.pk}/").content
    assert pm.post(f"/projects/{project.pk}/service-link/", {"ref": "nope"}).status_code == 302
    with schema_context(tenant_a.schema_name):
        assert not ProjectLink.objects.filter(project=project).exists()
    assert pm.post(f"/projects/{project.pk}/service-link/", {"ref": ref}).status_code == 302
    with schema_context(tenant_a.schema_name):
        assert ProjectLink.objects.get(project=project, role="service").ref == str(ref)

    team_a.add("outsider", TEAM_ROLE)
    outsider = team_a.browser("outsider")
    for path in ("service-link/", "invoice-time/"):
        assert outsider.post(f"/projects/{project.pk}/{path}", {"ref": ref}).status_code == 404
    assert outsider.get(f"/projects/{project.pk}/billable-time.csv").status_code == 404

    # another tenant's host (B: ISP and Projects): not found there
    with schema_context(_schema(B)):
        assert not Project.objects.filter(pk=project.pk).exists()
    other = browser(B)
    assert other.post(f"/projects/{project.pk}/service-link/", {"ref": ref}).status_code == 404
    assert other.post(f"/projects/{project.pk}/invoice-time/").status_code == 404
    assert other.get(f"/projects/{project.pk}/billable-time.csv").status_code == 404


def test_the_csv_export_is_bounded_by_its_date_range(projects_in_a, tenant_a):
    with schema_context(tenant_a.schema_name):
        from apps.identity.models import User

        owner = User.objects.get(username="owner")
        project = ProjectFactory(name="Export")
        task = TaskFactory(project=project, title="=cmd|' /C calc'!A0")
        for day, hours in ((datetime.date(2026, 11, 2), "1.00"), (datetime.date(2026, 11, 20),
                                                                  "2.00")):  # fmt: skip
            TimeLog.objects.create(task=task, user=owner, work_date=day, hours=Decimal(hours),
                                   rate=Decimal("10.00"))  # fmt: skip
    web = browser(A)
    url = f"/projects/{project.pk}/billable-time.csv"

    november = web.get(url, {"start": "2026-11-01", "end": "2026-11-10"}).content.decode()
    too_long = web.get(url, {"start": "2025-01-01", "end": "2026-11-10"})
    backwards = web.get(url, {"start": "2026-11-10", "end": "2026-11-01"})
    garbage = web.get(url, {"start": "yesterday"})

    lines = november.strip().splitlines()
    assert len(lines) == 2
    assert lines[1].startswith("2026-11-02,'=cmd")
    assert [r.status_code for r in (too_long, backwards, garbage)] == [400, 400, 400]


def test_a_service_no_longer_pending_is_not_activated_and_the_move_stands(projects_in_a, tenant_a):
    """The ISP refuses nothing twice: an already active service is left as it is."""
    made = _plan(tenant_a)
    with schema_context(tenant_a.schema_name):
        from apps.isp.services.subscriptions import service_activate

        project = ProjectFactory(name="Late link")
        milestone = project.milestones.create(name="Done", due_date=timezone.localdate())
        links.project_link_set(project=project, role="service", ref=made["service"].pk)
        service_activate(service=made["service"])  # activated by hand meanwhile
        from apps.projects.services.projects import milestone_update

        milestone_update(milestone=milestone, done=True)
        assert Invoice.objects.filter(customer=made["customer"]).count() == 1
        assert ProjectLink.objects.get(project=project, role="service").reached_at is not None

"""Time logs and their totals (per task, project and person; estimate against actual; the
budget), templates applied to projects with their relative dates and dependencies, comments
with @mentions, and the plan's limit and features."""

from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from apps.projects.models import Milestone, Project, Task, TaskDependency
from apps.projects.services import projects as services
from tests.projects.conftest import plan_overrides
from tests.projects.factories import ProjectFactory, TaskFactory, TemplateFactory

API = "/api/v1/projects"

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(crew, tenant_b):
    with schema_context(tenant_b.schema_name):
        project = services.project_create(name="Riverside install", actor=crew["pm"],
                                           budget_hours=Decimal("10"),
                                           budget_amount=Decimal("500.00"))  # fmt: skip
        TaskFactory(project=project, title="Survey", estimate_hours=Decimal("3"))
        TaskFactory(project=project, title="Splice", estimate_hours=Decimal("2"))
    crew.member(project, "dev")
    return project


def task_of(tenant, project, title):
    with schema_context(tenant.schema_name):
        return Task.objects.get(project=project, title=title)


@pytest.mark.usefixtures("time_tracking")
def test_time_logged_adds_up_per_task_project_and_person(crew, project, tenant_b):
    survey, splice = task_of(tenant_b, project, "Survey"), task_of(tenant_b, project, "Splice")
    pm, dev = crew.api("pm"), crew.api("dev")
    for api, task, hours, billable in ((dev, survey, "2.5", True), (dev, survey, "1.5", True),
                                       (pm, splice, "1", False)):  # fmt: skip
        response = api.post_json(f"{API}/time-logs/", {"task": task.pk, "hours": hours,
                                 "work_date": "2026-02-03", "billable": billable,
                                 "rate": "50.00"})  # fmt: skip
        assert response.status_code == 201, response.content

    task = pm.get(f"{API}/tasks/{survey.pk}/").json()["data"]["attributes"]
    totals = pm.get(f"{API}/projects/{project.pk}/totals/").json()["data"]["attributes"]

    assert (task["logged_hours"], task["variance_hours"]) == ("4.00", "1.00")
    assert totals["logged_hours"] == "5.00"
    assert totals["estimate_hours"] == "5.00"
    assert totals["variance_hours"] == "0.00"
    assert totals["billable_hours"] == "4.00"
    assert totals["billable_amount"] == "200.00"
    assert (totals["budget_hours_left"], totals["budget_amount_left"]) == ("5.00", "300.00")
    by_person = {row["username"]: row["hours"] for row in totals["by_person"]}
    assert by_person == {"dev": "4.00", "pm": "1.00"}
    listed = pm.get(f"{API}/time-logs/?project={project.pk}&user={crew['dev'].pk}").json()
    assert listed["meta"]["pagination"]["count"] == 2


@pytest.mark.usefixtures("time_tracking")
def test_time_is_refused_ahead_beyond_a_day_for_others_and_for_non_members(crew, project, tenant_b):
    survey = task_of(tenant_b, project, "Survey")
    dev, stranger = crew.api("dev"), crew.api("stranger")

    answers = {
        "future": dev.post_json(f"{API}/time-logs/", {"task": survey.pk, "hours": "1",
                                                      "work_date": "2099-01-01"}),
        "too long": dev.post_json(f"{API}/time-logs/", {"task": survey.pk, "hours": "25"}),
        "zero": dev.post_json(f"{API}/time-logs/", {"task": survey.pk, "hours": "0"}),
        "for pm": dev.post_json(f"{API}/time-logs/", {"task": survey.pk, "hours": "1",
                                                      "user": crew["pm"].pk}),
        "stranger": stranger.post_json(f"{API}/time-logs/", {"task": survey.pk, "hours": "1"}),
    }  # fmt: skip

    for what, response in answers.items():
        assert response.status_code == 400, (what, response.content)
    with schema_context(tenant_b.schema_name):
        assert not survey.time_logs.exists()


def test_time_tracking_is_a_feature_of_the_plan(crew, project):
    response = crew.api("pm").get(f"{API}/time-logs/")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FEATURE_NOT_IN_PLAN"


def test_a_project_from_a_template_gets_its_dated_milestones_tasks_and_dependencies(
    crew, project, tenant_b
):
    with schema_context(tenant_b.schema_name):
        template = TemplateFactory()

    response = crew.api("pm").post_json(f"{API}/projects/{project.pk}/from-template/",
                                        {"template": template.pk,
                                         "start_date": "2026-04-06"})  # fmt: skip

    assert response.status_code == 200, response.content
    with schema_context(tenant_b.schema_name):
        first = Task.objects.get(project=project, title="First")
        second = Task.objects.get(project=project, title="Second")
        milestone = Milestone.objects.get(project=project, name="Done")
        assert (str(first.start_date), str(first.due_date)) == ("2026-04-06", "2026-04-07")
        assert (str(second.start_date), str(second.due_date)) == ("2026-04-08", "2026-04-10")
        assert str(milestone.due_date) == "2026-04-11"
        assert second.milestone_id == milestone.pk
        assert TaskDependency.objects.filter(task=second, depends_on=first).exists()


def test_only_a_manager_plans_from_a_template(crew, project, tenant_b):
    with schema_context(tenant_b.schema_name):
        template = TemplateFactory()

    response = crew.api("dev").post_json(f"{API}/projects/{project.pk}/from-template/",
                                         {"template": template.pk})  # fmt: skip

    assert response.status_code == 403


def test_create_project_from_a_template_makes_the_requester_its_manager(crew, tenant_b):
    with schema_context(tenant_b.schema_name):
        template = TemplateFactory()

    response = crew.api("dev").post_json(
        f"{API}/templates/{template.pk}/create-project/",
        {"name": "Dev's install", "start_date": "2026-05-04"},
    )

    assert response.status_code == 201, response.content
    attributes = response.json()["data"]["attributes"]
    assert attributes["task_count"] == 2
    assert [(m["username"], m["role"]) for m in attributes["members"]] == [("dev", "manager")]


def test_a_template_with_a_bad_plan_is_refused_naming_the_place(api_b):
    answers = [
        api_b.post_json(f"{API}/templates/", {"name": "T1", "tasks": [
            {"title": "A", "depends_on": [0]}]}),
        api_b.post_json(f"{API}/templates/", {"name": "T2", "tasks": [
            {"title": "A", "milestone": 3}]}),
        api_b.post_json(f"{API}/templates/", {"name": "T3", "tasks": [
            {"title": "A", "start_offset_days": 99999}]}),
        api_b.post_json(f"{API}/templates/", {"name": "T4", "tasks": [{"title": "x"}] * 201}),
    ]  # fmt: skip

    fields = [a.json()["error"]["details"][0]["field"] for a in answers]
    assert [a.status_code for a in answers] == [400] * 4
    assert fields == ["tasks[0].depends_on", "tasks[0].milestone",
                      "tasks[0].start_offset_days", "tasks"]  # fmt: skip


def test_only_a_projects_admin_changes_templates(crew):
    response = crew.api("dev").post_json(f"{API}/templates/", {"name": "Mine"})

    assert response.status_code == 403


def test_a_comment_records_the_members_it_mentions(crew, project, tenant_b):
    survey = task_of(tenant_b, project, "Survey")

    response = crew.api("dev").post_json(
        f"{API}/comments/",
        {"task": survey.pk, "body": "Done, @pm please check. cc @stranger @nobody"},
    )

    assert response.status_code == 201, response.content
    assert response.json()["data"]["attributes"]["mentions"] == ["pm"]  # members only


def test_only_the_writer_or_a_manager_edits_a_comment(crew, project, tenant_b):
    survey = task_of(tenant_b, project, "Survey")
    made = crew.api("pm").post_json(f"{API}/comments/", {"task": survey.pk, "body": "Mine"})
    url = f"{API}/comments/{made.json()['data']['id']}/"

    by_dev = crew.api("dev").patch(url, {"body": "Yours"}, content_type="application/json")

    assert by_dev.status_code == 403


def test_the_plan_limits_the_number_of_projects(
    api_b, tenant_b, django_capture_on_commit_callbacks
):
    with schema_context(tenant_b.schema_name):
        existing = Project.objects.count()
    plan_overrides(
        "tenant-b",
        limits={"projects.max_projects": existing + 1},
        capture=django_capture_on_commit_callbacks,
    )

    first = api_b.post_json(f"{API}/projects/", {"name": "One more"})
    second = api_b.post_json(f"{API}/projects/", {"name": "One too many"})

    assert first.status_code == 201, first.content
    assert second.status_code == 403
    assert second.json()["error"]["code"] == "LIMIT_EXCEEDED"
    with schema_context(tenant_b.schema_name):
        assert not Project.objects.filter(name="One too many").exists()


def test_a_tenant_without_projects_gets_app_not_subscribed_and_the_upgrade_page(client_a):
    from tests.resource_base import owner_api

    api = owner_api("tenant-a")
    client_a.sign_in()

    response = api.get(f"{API}/projects/")
    page = client_a.get("/projects/")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "APP_NOT_SUBSCRIBED"
    assert page.status_code == 403
    assert b"Upgrade to access" in page.content


def test_unknown_filters_and_page_sizes_are_bounded(api_b):
    assert api_b.get(f"{API}/tasks/?page_size=100000").status_code in (200, 400)
    assert api_b.get(f"{API}/tasks/?colour=red").status_code == 400


def test_project_helpers_are_not_leaking_between_projects(api_b, tenant_b):
    with schema_context(tenant_b.schema_name):
        a, b = ProjectFactory(), ProjectFactory()
        column_b = b.columns.first()
    response = api_b.post_json(f"{API}/tasks/", {"project": a.pk, "column": column_b.pk,
                                                 "title": "Wrong board"})  # fmt: skip

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "column"

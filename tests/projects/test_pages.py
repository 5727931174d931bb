"""The pages at /projects/: each one answers its member, is a 404 to a non-member and to
another tenant, and writes through the services (a card's move in the API's envelope)."""

import json

import pytest
from django_tenants.utils import schema_context

from apps.projects.models import Comment, Project, Task
from apps.projects.services import projects as services
from apps.projects.services import tasks as task_services
from tests.conftest import HostClient, host_of
from tests.projects.conftest import plan_overrides
from tests.projects.factories import ProjectFactory, TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(crew, tenant_b):
    with schema_context(tenant_b.schema_name):
        project = services.project_create(name="Harbour build-out", actor=crew["pm"],
                                           start_date="2026-03-02")  # fmt: skip
        first = TaskFactory(project=project, title="Survey the street", start_date="2026-03-02",
                            due_date="2026-03-04", assignee=crew["pm"])  # fmt: skip
        second = TaskFactory(project=project, title="Dig the trench", start_date="2026-03-05",
                             due_date="2026-03-09")  # fmt: skip
        task_services.dependencies_set(task=second, depends_on=[first])
        services.milestone_create(project=project, name="Street ready", due_date="2026-03-10")
    crew.member(project, "dev")
    return project


def pages_of(project, task) -> list[str]:
    return [f"/projects/{project.pk}/", f"/projects/{project.pk}/board/",
            f"/projects/{project.pk}/timeline/", f"/projects/{project.pk}/edit/",
            f"/projects/{project.pk}/tasks/new/", f"/projects/tasks/{task.pk}/",
            f"/projects/tasks/{task.pk}/edit/"]  # fmt: skip


def first_task(tenant, project) -> Task:
    with schema_context(tenant.schema_name):
        return project.tasks.order_by("position").first()


def test_the_app_pages_answer_a_member(crew, project, tenant_b):
    pm = crew.browser("pm")
    task = first_task(tenant_b, project)

    for url in ["/projects/", "/projects/new/", "/projects/my-tasks/", "/projects/templates/",
                *pages_of(project, task)]:  # fmt: skip
        response = pm.get(url)
        expected = 403 if url.endswith("/timeline/") else 200  # Basic: no timeline
        assert response.status_code == expected, (url, response.status_code)
    assert b"Harbour build-out" in pm.get("/projects/").content
    assert b"Survey the street" in pm.get("/projects/my-tasks/").content


def test_every_project_page_is_a_404_to_a_non_member(crew, project, tenant_b):
    stranger = crew.browser("stranger")
    task = first_task(tenant_b, project)

    for url in pages_of(project, task):
        assert stranger.get(url).status_code == 404, url
    assert b"Harbour build-out" not in stranger.get("/projects/").content
    moved = stranger.post(f"/projects/tasks/{task.pk}/move/", json.dumps({"column": 1}),
                          content_type="application/json")  # fmt: skip
    assert moved.status_code == 404


def test_a_member_may_not_open_the_edit_page_of_the_project(crew, project):
    assert crew.browser("dev").get(f"/projects/{project.pk}/edit/").status_code == 403


def test_another_tenants_project_pages_are_404(crew, project, tenant_b, tenant_c):
    task = first_task(tenant_b, project)
    with schema_context(tenant_c.schema_name):
        assert not Project.objects.filter(pk=project.pk).exists()
    other = HostClient(host_of("tenant-c")).sign_in()

    for url in pages_of(project, task):
        assert other.get(url).status_code == 404, url


def test_a_user_without_the_area_is_refused(crew, project):
    response = crew.browser("tech").get("/projects/")

    assert response.status_code == 403


def test_the_board_shows_columns_cards_and_wip_limits(crew, project):
    html = crew.browser("dev").get(f"/projects/{project.pk}/board/").content.decode()

    for name in ("Backlog", "To do", "In progress", "Review", "Done"):
        assert f"<h2>{name}</h2>" in html
    assert 'title="WIP limit">5<' in html
    assert "Survey the street" in html
    assert "Dig the trench" in html


def test_the_boards_move_goes_through_the_service(crew, project, tenant_b):
    task = first_task(tenant_b, project)
    with schema_context(tenant_b.schema_name):
        done = project.columns.get(name="Done")
    dev = crew.browser("dev")

    response = dev.post(f"/projects/tasks/{task.pk}/move/",
                        json.dumps({"column": done.pk, "position": 0}),
                        content_type="application/json")  # fmt: skip
    refused = dev.post(f"/projects/tasks/{task.pk}/move/", json.dumps({"column": "nope"}),
                       content_type="application/json")  # fmt: skip

    assert response.status_code == 200, response.content
    assert response.json()["column_name"] == "Done"
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "VALIDATION_ERROR"
    with schema_context(tenant_b.schema_name):
        moved = Task.objects.get(pk=task.pk)
        assert (moved.column_id, moved.position, moved.completed_at is not None) == (
            done.pk, 0, True)  # fmt: skip


def test_the_timeline_draws_bars_dependencies_and_milestones_on_pro(
    crew, project, tenant_b, django_capture_on_commit_callbacks
):
    plan_overrides(
        "tenant-b", features={"projects.timeline": True}, capture=django_capture_on_commit_callbacks
    )
    with schema_context(tenant_b.schema_name):
        first, second = project.tasks.order_by("start_date")

    html = crew.browser("dev").get(f"/projects/{project.pk}/timeline/").content.decode()

    assert '<svg class="gantt"' in html
    assert f'data-task="{first.pk}"' in html
    assert f'data-task="{second.pk}"' in html
    assert f'class="dependency" data-from="{first.pk}" data-to="{second.pk}"' in html
    assert "Street ready" in html


def test_the_timeline_without_the_feature_says_upgrade(crew, project):
    response = crew.browser("dev").get(f"/projects/{project.pk}/timeline/")

    assert response.status_code == 403
    assert b"Upgrade to access the timeline" in response.content


def test_a_project_created_on_its_page_makes_its_creator_manager(crew, tenant_b):
    response = crew.browser("dev").post(
        "/projects/new/", {"name": "Dev's own", "status": "planned", "budget_amount": "0"}
    )

    assert response.status_code == 302, response.content[:2000]
    with schema_context(tenant_b.schema_name):
        project = Project.objects.get(name="Dev's own")
        assert project.members.get().role == "manager"
        assert project.columns.count() == 5


def test_a_refused_project_form_is_a_400_and_writes_nothing(crew, tenant_b):
    response = crew.browser("dev").post(
        "/projects/new/",
        {
            "name": "Bad dates",
            "status": "planned",
            "budget_amount": "0",
            "start_date": "2026-05-02",
            "end_date": "2026-05-01",
        },
    )

    assert response.status_code == 400
    with schema_context(tenant_b.schema_name):
        assert not Project.objects.filter(name="Bad dates").exists()


def test_a_task_form_and_a_comment_go_through_the_services(crew, project, tenant_b):
    pm = crew.browser("pm")

    created = pm.post(f"/projects/{project.pk}/tasks/new/", {"title": "Order closures",
                      "priority": "high", "labels": "procurement, urgent"})  # fmt: skip
    with schema_context(tenant_b.schema_name):
        task = Task.objects.get(project=project, title="Order closures")
    commented = pm.post(f"/projects/tasks/{task.pk}/comments/", {"body": "Ask @dev"})

    assert created.status_code == 302, created.content[:2000]
    assert task.labels == ["procurement", "urgent"]
    assert commented.status_code == 302
    with schema_context(tenant_b.schema_name):
        comment = Comment.objects.get(task=task)
        assert [u.username for u in comment.mentions.all()] == ["dev"]


def test_a_project_list_of_many_costs_the_same_queries(crew, tenant_b):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pm = crew.browser("pm")

    def count():
        pm.get("/projects/")
        with CaptureQueriesContext(connection) as queries:
            assert pm.get("/projects/").status_code == 200
        return len(queries)

    with schema_context(tenant_b.schema_name):
        services.project_create(name="P1", actor=crew["pm"])
    few = count()
    with schema_context(tenant_b.schema_name):
        for n in range(8):
            project = services.project_create(name=f"P{n + 2}", actor=crew["pm"])
            TaskFactory(project=project)
    assert count() == few


def test_the_board_of_many_cards_costs_the_same_queries(crew, tenant_b):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with schema_context(tenant_b.schema_name):
        project = ProjectFactory()
    crew.member(project, "dev")
    dev = crew.browser("dev")

    def count():
        dev.get(f"/projects/{project.pk}/board/")
        with CaptureQueriesContext(connection) as queries:
            assert dev.get(f"/projects/{project.pk}/board/").status_code == 200
        return len(queries)

    with schema_context(tenant_b.schema_name):
        TaskFactory(project=project)
    few = count()
    with schema_context(tenant_b.schema_name):
        for _ in range(40):
            TaskFactory(project=project, assignee=crew["dev"])
    assert count() == few

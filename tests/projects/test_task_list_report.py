"""The task list across projects (filters, search, sorting, pages) and a project's progress
report (burn-down, hours by person, budget used, with charts)."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.projects import reports
from apps.projects.services import projects as services
from apps.projects.services import tasks as task_services
from tests.conftest import HostClient, host_of
from tests.projects.factories import TaskFactory, TimeLogFactory

pytestmark = pytest.mark.django_db

TASK_LINK = re.compile(r'href="/projects/tasks/\d+/">([^<]+)</a>')


@pytest.fixture
def two_projects(crew, tenant_b):
    today = timezone.localdate()
    with schema_context(tenant_b.schema_name):
        harbour = services.project_create(name="Harbour", actor=crew["pm"])
        quay = services.project_create(name="Quay", actor=crew["pm"])
        hidden = services.project_create(name="Secret", actor=crew["padmin"])
        TaskFactory(project=harbour, title="Survey the harbour", priority="low",
                    labels=["field"], assignee=crew["pm"], due_date=today)  # fmt: skip
        TaskFactory(project=harbour, title="Order closures", priority="urgent",
                    due_date=today + timedelta(days=9))  # fmt: skip
        TaskFactory(project=quay, title="Survey the quay", priority="high", labels=["field"],
                    due_date=today + timedelta(days=3))  # fmt: skip
        TaskFactory(project=hidden, title="Survey the secret")
        done = quay.columns.get(name="Done")
        TaskFactory(project=quay, column=done, title="Permit granted")
    return harbour, quay


def titles(response) -> list[str]:
    """The tasks listed, in order (their links in the list's table)."""
    html = response.content.decode()
    return TASK_LINK.findall(html[html.index('id="task-list"') :])


def test_the_task_list_shows_tasks_of_visible_projects_filtered_and_sorted(crew, two_projects):
    harbour, _ = two_projects
    pm = crew.browser("pm")

    everything = pm.get("/projects/tasks/?sort=title")
    by_priority = pm.get("/projects/tasks/?sort=priority&done=false")
    surveys = pm.get("/projects/tasks/?q=survey&label=field&sort=title")
    in_harbour = pm.get(f"/projects/tasks/?project={harbour.pk}&assignee=me")
    done = pm.get("/projects/tasks/?column_name=done")
    due = pm.get(f"/projects/tasks/?due_after={timezone.localdate() + timedelta(days=1)}"
                 f"&due_before={timezone.localdate() + timedelta(days=5)}")  # fmt: skip

    assert everything.status_code == 200
    assert titles(everything) == ["Order closures", "Permit granted", "Survey the harbour",
                                  "Survey the quay"]  # fmt: skip
    assert titles(by_priority) == ["Order closures", "Survey the quay", "Survey the harbour"]
    assert titles(surveys) == ["Survey the harbour", "Survey the quay"]
    assert titles(in_harbour) == ["Survey the harbour"]
    assert titles(done) == ["Permit granted"]
    assert titles(due) == ["Survey the quay"]
    assert b"Survey the secret" not in everything.content
    assert b"Survey the secret" in crew.browser("padmin").get("/projects/tasks/").content


def test_the_task_list_pages_and_bounds_bad_input(crew, tenant_b):
    with schema_context(tenant_b.schema_name):
        project = services.project_create(name="Many", actor=crew["pm"])
        for n in range(30):
            TaskFactory(project=project, title=f"Job {n:02}")
    pm = crew.browser("pm")

    first = pm.get("/projects/tasks/?sort=title")
    second = pm.get("/projects/tasks/?sort=title&page=2")
    odd = pm.get("/projects/tasks/?sort=nonsense&page=999&priority=whatever")

    assert len(titles(first)) == 25
    assert titles(second) == [f"Job {n:02}" for n in range(25, 30)]
    assert odd.status_code == 200
    assert b"No tasks" in odd.content  # an unknown priority matches nothing


def test_the_task_list_is_refused_to_a_user_without_the_area(crew):
    assert crew.browser("tech").get("/projects/tasks/").status_code == 403


@pytest.fixture
def reported(crew, tenant_b):
    today = timezone.localdate()
    with schema_context(tenant_b.schema_name):
        project = services.project_create(
            name="Riverside", actor=crew["pm"], start_date=today - timedelta(days=10),
            end_date=today + timedelta(days=10), budget_hours=Decimal("20"),
            budget_amount=Decimal("1000.00"),
        )  # fmt: skip
        crew.member(project, "dev")
        first = TaskFactory(project=project, title="Survey", estimate_hours=Decimal("4"))
        TaskFactory(project=project, title="Splice", estimate_hours=Decimal("6"))
        task_services.task_move(task=first, column=project.columns.get(name="Done"))
        TimeLogFactory(task=first, user=crew["dev"], hours=Decimal("5"),
                       work_date=today - timedelta(days=2), rate=Decimal("50"))  # fmt: skip
        TimeLogFactory(task=first, user=crew["pm"], hours=Decimal("1"), billable=False,
                       work_date=today - timedelta(days=1))  # fmt: skip
    return project


def test_the_burn_down_counts_down_the_estimate_of_done_tasks(reported, tenant_b):
    today = timezone.localdate()
    with schema_context(tenant_b.schema_name):
        figures = reports.burndown(reported, today=today)

    assert figures["total"] == Decimal("10")
    assert figures["remaining"] == Decimal("6")
    # the survey was finished today: its 4 hours of estimate burn down today
    assert figures["points"][0] == {"day": today - timedelta(days=10), "remaining": Decimal("10")}
    assert figures["points"][-1] == {"day": today, "remaining": Decimal("6")}
    assert figures["chart"]["ideal"] is not None


def test_the_progress_report_page_draws_its_charts(crew, reported):
    html = crew.browser("dev").get(f"/projects/{reported.pk}/report/").content.decode()

    assert '<svg class="burndown"' in html
    assert '<polyline class="remaining"' in html
    assert 'id="hours-by-person"' in html
    assert ">dev<" in html
    assert ">Hours<" in html  # the budget's hours bar: 6 of 20
    assert "30 %" in html
    assert "25 %" in html  # 250.00 billable of 1000.00


def test_the_progress_report_is_a_404_to_a_non_member_and_another_tenant(crew, reported):
    assert crew.browser("stranger").get(f"/projects/{reported.pk}/report/").status_code == 404
    other = HostClient(host_of("tenant-c")).sign_in()
    assert other.get(f"/projects/{reported.pk}/report/").status_code == 404

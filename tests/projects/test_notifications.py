"""Notifications in the app and by email: a task assigned to someone, an @mention in a
comment, a task due soon (the daily run: one notice per task, person and due date, however
often it runs). Each person sees only their own; they mark them read."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.projects import tasks
from apps.projects.models import Notification
from apps.projects.services import notifications
from apps.projects.services import projects as services
from apps.projects.services import tasks as task_services
from tests.conftest import HostClient, host_of
from tests.projects.factories import TaskFactory

API = "/api/v1/projects"

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(crew, tenant_b):
    with schema_context(tenant_b.schema_name):
        for name in ("dev", "pm"):
            crew[name].email = f"{name}@example.com"
            crew[name].save(update_fields=["email"])
        project = services.project_create(name="Harbour fibre", actor=crew["pm"])
    crew.member(project, "dev")
    return project


def notices(tenant, user) -> list[tuple[str, str]]:
    with schema_context(tenant.schema_name):
        return list(Notification.objects.filter(user=user).order_by("id")
                    .values_list("kind", "message"))  # fmt: skip


def test_an_assignment_notifies_the_assignee_in_the_app_and_by_email(
    crew, project, tenant_b, django_capture_on_commit_callbacks
):
    pm = crew.api("pm")
    with django_capture_on_commit_callbacks(execute=True):
        made = pm.post_json(f"{API}/tasks/", {"project": project.pk, "title": "Splice closure 4",
                                              "assignee": crew["dev"].pk})  # fmt: skip

    assert made.status_code == 201, made.content
    assert notices(tenant_b, crew["dev"]) == [("assigned", "Pm assigned you “Splice closure 4”")]
    assert [m.to for m in mail.outbox] == [["dev@example.com"]]
    assert "Splice closure 4" in mail.outbox[0].body
    assert notices(tenant_b, crew["pm"]) == []


def test_taking_a_task_oneself_notifies_nobody_and_reassigning_notifies_the_new_one(
    crew, project, tenant_b
):
    with schema_context(tenant_b.schema_name):
        task = task_services.task_create(project=project, title="Survey", assignee=crew["pm"],
                                         actor=crew["pm"])  # fmt: skip
        task_services.task_update(task=task, title="Survey the quay", actor=crew["pm"])
        task_services.task_update(task=task, assignee=crew["dev"], actor=crew["pm"])

    assert notices(tenant_b, crew["pm"]) == []
    assert [kind for kind, _ in notices(tenant_b, crew["dev"])] == ["assigned"]


def test_a_mention_notifies_the_member_once(crew, project, tenant_b):
    with schema_context(tenant_b.schema_name):
        task = TaskFactory(project=project, title="Order closures")
    pm = crew.api("pm")

    made = pm.post_json(f"{API}/comments/", {"task": task.pk, "body": "@dev can you? @stranger"})
    comment = made.json()["data"]["id"]
    pm.patch(f"{API}/comments/{comment}/", {"body": "@dev can you, please?"},
             content_type="application/json")  # fmt: skip

    assert made.status_code == 201
    assert notices(tenant_b, crew["dev"]) == [("mentioned",
                                               "Pm mentioned you on “Order closures”")]  # fmt: skip
    assert notices(tenant_b, crew["stranger"]) == []  # not on the project


def test_due_soon_is_sent_once_per_task_and_due_date(crew, project, tenant_b):
    today = timezone.localdate()
    with schema_context(tenant_b.schema_name):
        soon = TaskFactory(project=project, title="Lay the drop", assignee=crew["dev"],
                           due_date=today + timedelta(days=1))  # fmt: skip
        TaskFactory(project=project, title="Much later", assignee=crew["dev"],
                    due_date=today + timedelta(days=30))  # fmt: skip
        TaskFactory(project=project, title="Nobody's", due_date=today)
        done = project.columns.get(name="Done")
        TaskFactory(project=project, column=done, title="Finished", assignee=crew["dev"],
                    due_date=today)  # fmt: skip

        first, again = tasks.due_soon.apply().get(), notifications.due_soon_notify()
        # the task slips: its new due date, once near, is news again
        task_services.task_update(task=soon, due_date=today + timedelta(days=2))
        after_slip = notifications.due_soon_notify()

    assert (first, again, after_slip) == (1, 0, 1)
    assert notices(tenant_b, crew["dev"]) == [
        ("due_soon", f"“Lay the drop” is due tomorrow ({today + timedelta(days=1):%d %b})"),
        ("due_soon", f"“Lay the drop” is due in 2 days ({today + timedelta(days=2):%d %b})"),
    ]


def test_each_person_sees_only_their_own_and_marks_them_read(crew, project, tenant_b):
    with schema_context(tenant_b.schema_name):
        task = task_services.task_create(project=project, title="Splice", assignee=crew["dev"],
                                         actor=crew["pm"])  # fmt: skip
        task_services.task_create(project=project, title="Test", assignee=crew["dev"],
                                  actor=crew["pm"])  # fmt: skip
        mine = Notification.objects.filter(user=crew["dev"], task=task).get()
    dev, pm = crew.api("dev"), crew.api("pm")

    listed = dev.get(f"{API}/notifications/?unread=true").json()
    before = dev.get(f"{API}/notifications/unread/").json()["data"]["attributes"]["unread"]
    assert pm.get(f"{API}/notifications/{mine.pk}/").status_code == 404
    assert pm.post_json(f"{API}/notifications/{mine.pk}/read/").status_code == 404
    read = dev.post_json(f"{API}/notifications/{mine.pk}/read/")
    after = dev.get(f"{API}/notifications/unread/").json()["data"]["attributes"]["unread"]
    dev.post_json(f"{API}/notifications/read-all/")

    assert listed["meta"]["pagination"]["count"] == 2
    assert (before, after) == (2, 1)
    assert read.status_code == 200
    assert read.json()["data"]["attributes"]["read"] is True
    assert dev.get(f"{API}/notifications/unread/").json()["data"]["attributes"]["unread"] == 0
    assert pm.get(f"{API}/notifications/").json()["meta"]["pagination"]["count"] == 0


def test_the_notifications_page_lists_them_and_opens_the_task(crew, project, tenant_b):
    with schema_context(tenant_b.schema_name):
        task = task_services.task_create(project=project, title="Blow the fibre",
                                         assignee=crew["dev"], actor=crew["pm"])  # fmt: skip
        notice = Notification.objects.get(user=crew["dev"])
    dev = crew.browser("dev")

    board = dev.get(f"/projects/{project.pk}/board/").content.decode()
    page = dev.get("/projects/notifications/").content.decode()
    opened = dev.post(f"/projects/notifications/{notice.pk}/read/")

    assert "1 unread notification" in board
    assert "Pm assigned you “Blow the fibre”" in page
    assert f'<tr class="unread" id="notification-{notice.pk}">' in page
    assert opened.status_code == 302
    assert opened["Location"] == f"/projects/tasks/{task.pk}/"
    with schema_context(tenant_b.schema_name):
        notice.refresh_from_db()
        assert notice.read_at is not None
    assert crew.browser("pm").post(f"/projects/notifications/{notice.pk}/read/").status_code == 404
    other = HostClient(host_of("tenant-c")).sign_in()
    assert other.post(f"/projects/notifications/{notice.pk}/read/").status_code == 404


def test_the_due_soon_run_is_scheduled_and_fans_out_to_tenants_with_projects(
    tenant_a, tenant_b, tenant_c, monkeypatch
):
    from dotmac.celery import app  # the project's Celery app, as the beat process loads it

    sent = []
    monkeypatch.setattr(tasks.due_soon, "delay", lambda: sent.append(connection.schema_name))

    count = tasks.due_soon_fan_out()

    assert app.conf.beat_schedule["projects-due-soon"]["task"] == "projects.due_soon_fan_out"
    assert count == len(sent)
    assert {tenant_b.schema_name, tenant_c.schema_name} <= set(sent)
    assert tenant_a.schema_name not in sent  # no Project Management

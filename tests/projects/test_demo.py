"""The demo (DESIGN.md §10, issue 14): xyz-isp runs a network build-out and installation
projects, with tasks in every column, time logged and a slipped dependency; abc-corp has no
Projects ("Upgrade to access", APP_NOT_SUBSCRIBED); seeding twice adds nothing."""

import pytest
from django.core.management import call_command
from django_tenants.utils import schema_context

from apps.projects.models import (
    ChecklistItem,
    Column,
    Notification,
    Project,
    ProjectLink,
    Task,
    TaskDependency,
    TimeLog,
)
from tests.conftest import HostClient, obtain_tokens

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls_tenant")]


def counts() -> dict[str, int]:
    with schema_context("xyz_isp"):
        return {
            m.__name__: m.objects.count()
            for m in (
                Project,
                Task,
                TimeLog,
                TaskDependency,
                ChecklistItem,
                Notification,
                ProjectLink,
            )
        }


def test_xyz_isp_runs_projects_and_abc_corp_is_offered_an_upgrade(settings):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    first = counts()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert counts() == first
    with schema_context("xyz_isp"):
        names = set(Project.objects.values_list("name", flat=True))
        assert "North district build-out" in names
        assert sum(name.startswith("Installation") for name in names) == 2
        north = Project.objects.get(name="North district build-out")
        used = set(Column.objects.filter(project=north, tasks__isnull=False)
                   .values_list("name", flat=True))  # fmt: skip
        assert used == {"Backlog", "To do", "In progress", "Review", "Done"}
        assert TimeLog.objects.filter(task__project=north).count() >= 20
        civil = Task.objects.get(project=north, title="Civil works")
        backbone = Task.objects.get(project=north, title="Backbone fibre and POP")
        assert backbone.start_date > civil.due_date  # shifted after the slip
        assert (civil.due_date - civil.start_date).days == 36  # 30 days planned, 7 late
        closures = Task.objects.get(project=north, title="Order splice closures")
        assert list(closures.checklist.values_list("done", flat=True)) == [True, True, False,
                                                                           False]  # fmt: skip
        assert Notification.objects.filter(user__username="admin", kind="due_soon",
                                           task=closures).exists()  # fmt: skip
        # lead-to-cash: the Harbour Road installation delivers a pending ISP service
        harbour = Project.objects.get(name="Installation: 12 Harbour Road")
        link = ProjectLink.objects.get(project=harbour, role="service")
        from apps.isp.models import Service

        service = Service.objects.select_related("customer").get(pk=int(link.ref))
        assert service.status == Service.Status.PENDING
        assert service.customer.name == "12 Harbour Road Ltd"
        assert link.reached_at is None
    password = settings.DEMO_PASSWORD
    xyz = HostClient("xyz-isp.localhost")
    xyz.authenticate(obtain_tokens(xyz, "admin", password)["access"])
    board = xyz.get(f"/api/v1/projects/tasks/?project={north.pk}")
    assert board.status_code == 200
    staff = HostClient("xyz-isp.localhost")
    staff.post("/login/", {"username": "admin", "password": password})
    shown = staff.get(f"/projects/{harbour.pk}/").content.decode()
    assert "12 Harbour Road Ltd" in shown
    abc = HostClient("abc-corp.localhost")
    abc.authenticate(obtain_tokens(abc, "john", password)["access"])
    refused = abc.get("/api/v1/projects/projects/")
    assert refused.json()["error"]["code"] == "APP_NOT_SUBSCRIBED"
    page = HostClient("abc-corp.localhost")
    page.post("/login/", {"username": "john", "password": password})
    upgrade = page.get("/projects/")
    assert upgrade.status_code == 403
    assert b"Upgrade to access" in upgrade.content

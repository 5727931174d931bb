"""The tenant console's Project Management (the admin kit): listed on a tenant with Projects,
each page opens, and a project added there is written by the service (its board columns and
its creator as project manager)."""

import pytest
from django_tenants.utils import schema_context

from apps.projects.models import Project
from tests.conftest import HostClient, host_of
from tests.projects.factories import CommentFactory, TimeLogFactory

pytestmark = pytest.mark.django_db

MODELS = ("project", "milestone", "column", "task", "timelog", "comment", "projecttemplate")


@pytest.fixture
def console(tenant_b):
    return HostClient(host_of("tenant-b")).sign_in()


def test_every_projects_console_page_opens(console, tenant_b):
    with schema_context(tenant_b.schema_name):
        log = TimeLogFactory()
        CommentFactory(task=log.task)

    assert console.get("/admin/projects/").status_code == 200
    for model in MODELS:
        listed = console.get(f"/admin/projects/{model}/")
        assert listed.status_code == 200, model
    for url in ("/admin/projects/project/add/", f"/admin/projects/task/{log.task_id}/change/",
                f"/admin/projects/project/{log.task.project_id}/change/"):  # fmt: skip
        assert console.get(url).status_code == 200, url


def test_a_project_added_in_the_console_gets_its_board_and_manager(console, tenant_b):
    response = console.post("/admin/projects/project/add/", {
        "name": "Console project", "status": "planned", "budget_amount": "0",
        "members-TOTAL_FORMS": "0", "members-INITIAL_FORMS": "0",
        "columns-TOTAL_FORMS": "0", "columns-INITIAL_FORMS": "0",
    })  # fmt: skip

    assert response.status_code == 302, response.content[:3000]
    with schema_context(tenant_b.schema_name):
        project = Project.objects.get(name="Console project")
        assert project.columns.count() == 5
        assert list(project.members.values_list("user__username", "role")) == [
            ("owner", "manager")]  # fmt: skip


def test_a_tenant_without_projects_does_not_list_them(tenant_a):
    console = HostClient(host_of("tenant-a")).sign_in()

    assert console.get("/admin/projects/project/").status_code == 403


def test_the_lead_to_cash_records_are_shown_never_edited(console, tenant_b):
    """ProjectLink and TimeLogCharge: the services write them; the console only shows them."""
    from apps.projects.models import ProjectLink, TimeLogCharge

    with schema_context(tenant_b.schema_name):
        log = TimeLogFactory()
        link = ProjectLink.objects.create(project=log.task.project, role="service", app="isp",
                                          ref="42")  # fmt: skip
        charge = TimeLogCharge.objects.create(time_log=log, app="isp", ref="42")

    for model, row in (("projectlink", link), ("timelogcharge", charge)):
        listed = console.get(f"/admin/projects/{model}/")
        shown = console.get(f"/admin/projects/{model}/{row.pk}/change/")
        assert listed.status_code == 200, model
        assert str(row).encode() in listed.content or row.ref.encode() in listed.content
        assert shown.status_code == 200, model
        assert b'name="_save"' not in shown.content  # read-only: nothing to save
        assert console.get(f"/admin/projects/{model}/add/").status_code == 403
        assert console.post(f"/admin/projects/{model}/{row.pk}/delete/",
                            {"post": "yes"}).status_code == 403  # fmt: skip
        assert console.post(f"/admin/projects/{model}/{row.pk}/change/",
                            {"ref": "99"}).status_code == 403  # fmt: skip
    with schema_context(tenant_b.schema_name):
        assert ProjectLink.objects.get(pk=link.pk).ref == "42"
        assert TimeLogCharge.objects.filter(pk=charge.pk, ref="42").exists()


def test_a_tenant_without_projects_does_not_list_the_lead_to_cash_records(tenant_a):
    console = HostClient(host_of("tenant-a")).sign_in()

    for model in ("projectlink", "timelogcharge"):
        assert console.get(f"/admin/projects/{model}/").status_code == 403

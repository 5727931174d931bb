"""Who sees and changes a project (object permissions through apps.identity.objects): a
member sees it and what is in it, a project manager edits it, anyone else gets 404."""

import pytest
from django_tenants.utils import schema_context

from apps.projects.models import Project, ProjectMember
from apps.projects.services import projects as services
from tests.projects.factories import MilestoneFactory, TaskFactory

PROJECTS = "/api/v1/projects/projects/"
TASKS = "/api/v1/projects/tasks/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(crew, tenant_b):
    """A project pm created (so pm manages it) with dev as a member and one task."""
    with schema_context(tenant_b.schema_name):
        project = services.project_create(name="Harbour build-out", actor=crew["pm"])
        TaskFactory(project=project, title="Trench")
        MilestoneFactory(project=project)
    crew.member(project, "dev")
    return project


def test_the_creator_manages_and_a_member_sees_but_cannot_edit(crew, project):
    dev = crew.api("dev")

    seen = dev.get(f"{PROJECTS}{project.pk}/")
    edited = dev.patch(f"{PROJECTS}{project.pk}/", {"name": "Mine now"},
                       content_type="application/json")  # fmt: skip
    by_pm = crew.api("pm").patch(f"{PROJECTS}{project.pk}/", {"status": "active"},
                                 content_type="application/json")  # fmt: skip

    assert seen.status_code == 200
    roles = {m["username"]: m["role"] for m in seen.json()["data"]["attributes"]["members"]}
    assert roles == {"pm": "manager", "dev": "member"}
    assert edited.status_code == 403
    assert edited.json()["error"]["code"] == "PERMISSION_DENIED"
    assert by_pm.status_code == 200
    assert by_pm.json()["data"]["attributes"]["status"] == "active"


def test_a_non_member_gets_404_for_the_project_and_everything_in_it(crew, project, tenant_b):
    stranger = crew.api("stranger")
    with schema_context(tenant_b.schema_name):
        task = project.tasks.get()
        milestone = project.milestones.get()

    answers = [
        stranger.get(f"{PROJECTS}{project.pk}/"),
        stranger.patch(f"{PROJECTS}{project.pk}/", {"name": "x"}, content_type="application/json"),
        stranger.delete(f"{PROJECTS}{project.pk}/"),
        stranger.get(f"{TASKS}{task.pk}/"),
        stranger.post_json(f"{TASKS}{task.pk}/move/", {"column": task.column_id, "position": 0}),
        stranger.get(f"/api/v1/projects/milestones/{milestone.pk}/"),
    ]

    assert [a.status_code for a in answers] == [404] * len(answers)
    assert {a.json()["error"]["code"] for a in answers} == {"NOT_FOUND"}
    assert stranger.get(PROJECTS).json()["meta"]["pagination"]["count"] == 0
    assert stranger.get(TASKS).json()["meta"]["pagination"]["count"] == 0


def test_a_task_cannot_be_created_in_a_project_one_does_not_see(crew, project, tenant_b):
    response = crew.api("stranger").post_json(TASKS, {"project": project.pk, "title": "Sneak"})

    assert response.status_code == 400, response.content
    assert response.json()["error"]["details"][0]["field"] == "project", response.content
    with schema_context(tenant_b.schema_name):
        assert not project.tasks.filter(title="Sneak").exists()


def test_a_projects_admin_sees_every_project(crew, project):
    response = crew.api("padmin").get(PROJECTS)

    assert str(project.pk) in {row["id"] for row in response.json()["data"]}


def test_the_manager_adds_and_removes_members_and_access_follows(crew, project, tenant_b):
    pm, stranger = crew.api("pm"), crew.api("stranger")
    user = crew["stranger"].pk

    added = pm.post_json(f"{PROJECTS}{project.pk}/members/", {"user": user, "role": "member"})
    sees = stranger.get(f"{PROJECTS}{project.pk}/").status_code
    removed = pm.post_json(f"{PROJECTS}{project.pk}/remove-member/", {"user": user})
    after = stranger.get(f"{PROJECTS}{project.pk}/").status_code

    assert added.status_code == 200, added.content
    assert (sees, removed.status_code, after) == (200, 200, 404)


def test_a_member_cannot_add_members(crew, project, tenant_b):
    response = crew.api("dev").post_json(f"{PROJECTS}{project.pk}/members/",
                                         {"user": crew["stranger"].pk})  # fmt: skip

    assert response.status_code == 403
    with schema_context(tenant_b.schema_name):
        assert not ProjectMember.objects.filter(project=project, user=crew["stranger"]).exists()


def test_someone_whose_roles_do_not_open_projects_cannot_join(crew, project, tenant_b):
    response = crew.api("pm").post_json(f"{PROJECTS}{project.pk}/members/",
                                        {"user": crew["tech"].pk})  # fmt: skip

    assert response.status_code == 400
    assert "cannot join projects" in response.json()["error"]["details"][0]["message"]


def test_the_last_project_manager_cannot_step_down(crew, project):
    response = crew.api("pm").post_json(f"{PROJECTS}{project.pk}/members/",
                                        {"user": crew["pm"].pk, "role": "member"})  # fmt: skip

    assert response.status_code == 400
    assert "at least one project manager" in response.content.decode()


def test_a_member_edits_tasks_but_only_a_manager_deletes_them(crew, project, tenant_b):
    with schema_context(tenant_b.schema_name):
        task = project.tasks.get()
    dev = crew.api("dev")

    edited = dev.patch(f"{TASKS}{task.pk}/", {"title": "Trench 40 m"},
                       content_type="application/json")  # fmt: skip
    deleted = dev.delete(f"{TASKS}{task.pk}/")
    by_pm = crew.api("pm").delete(f"{TASKS}{task.pk}/")

    assert (edited.status_code, deleted.status_code, by_pm.status_code) == (200, 403, 204)


def test_deleting_a_project_takes_its_access_with_it(crew, project, tenant_b):
    response = crew.api("pm").delete(f"{PROJECTS}{project.pk}/")

    assert response.status_code == 204
    with schema_context(tenant_b.schema_name):
        assert not Project.objects.filter(pk=project.pk).exists()
        from guardian.models import UserObjectPermission

        assert not UserObjectPermission.objects.filter(
            object_pk=str(project.pk), content_type__app_label="projects"
        ).exists()

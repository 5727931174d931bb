"""Finish-to-start dependencies over HTTP: `depends_on` set with PATCH, a cycle refused naming
it, and the dependants' dates shifted when a task slips."""

import pytest
from django_tenants.utils import schema_context

from apps.core.models import AuditEntry
from apps.projects.models import Task, TaskDependency
from tests.projects.factories import ProjectFactory, TaskFactory

TASKS = "/api/v1/projects/tasks/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(tenant_b):
    """survey → permits → trench → splice, each starting the day after the previous ends."""
    with schema_context(tenant_b.schema_name):
        project = ProjectFactory()
        other = ProjectFactory()
        rows = {}
        for name, start, due in (("survey", "2026-03-02", "2026-03-03"),
                                 ("permits", "2026-03-04", "2026-03-06"),
                                 ("trench", "2026-03-09", "2026-03-13"),
                                 ("splice", "2026-03-16", "2026-03-16")):  # fmt: skip
            rows[name] = TaskFactory(project=project, title=name.title(), start_date=start,
                                     due_date=due)  # fmt: skip
        rows["elsewhere"] = TaskFactory(project=other, title="Elsewhere")
    return rows


def patch(api, task, data):
    return api.patch(f"{TASKS}{task.pk}/", data, content_type="application/json")


def link(api, chain):
    for after, before in (("permits", "survey"), ("trench", "permits"), ("splice", "trench")):
        response = patch(api, chain[after], {"depends_on": [chain[before].pk]})
        assert response.status_code == 200, response.content


def dates(tenant, task) -> tuple[str, str]:
    with schema_context(tenant.schema_name):
        row = Task.objects.get(pk=task.pk)
    return str(row.start_date), str(row.due_date)


def test_depends_on_is_set_with_patch_and_shown(api_b, chain):
    response = patch(api_b, chain["trench"], {"depends_on": [chain["permits"].pk,
                                                             chain["survey"].pk]})  # fmt: skip

    assert response.status_code == 200, response.content
    shown = response.json()["data"]["attributes"]["depends_on"]
    assert shown == sorted([chain["permits"].pk, chain["survey"].pk])
    assert api_b.get(f"{TASKS}{chain['trench'].pk}/").json()["data"]["attributes"][
        "depends_on"] == shown  # fmt: skip


def test_a_cycle_is_refused_naming_it_and_nothing_is_written(api_b, chain, tenant_b):
    link(api_b, chain)
    with schema_context(tenant_b.schema_name):
        before = set(TaskDependency.objects.values_list("task_id", "depends_on_id"))

    response = patch(api_b, chain["survey"], {"depends_on": [chain["splice"].pk]})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    message = error["details"][0]["message"]
    assert error["details"][0]["field"] == "depends_on"
    s, p, t, sp = (chain[n].pk for n in ("survey", "permits", "trench", "splice"))
    assert f"#{s} Survey → #{sp} Splice → #{t} Trench → #{p} Permits → #{s} Survey" in message
    with schema_context(tenant_b.schema_name):
        assert set(TaskDependency.objects.values_list("task_id", "depends_on_id")) == before


def test_a_task_cannot_depend_on_itself_or_on_another_projects_task(api_b, chain):
    itself = patch(api_b, chain["survey"], {"depends_on": [chain["survey"].pk]})
    foreign = patch(api_b, chain["survey"], {"depends_on": [chain["elsewhere"].pk]})
    unknown = patch(api_b, chain["survey"], {"depends_on": [987654321]})
    too_many = patch(api_b, chain["survey"], {"depends_on": list(range(1, 60))})

    for response in (itself, foreign, unknown, too_many):
        assert response.status_code == 400, response.content
        assert response.json()["error"]["details"][0]["field"] == "depends_on"


def test_a_slip_shifts_every_dependant_keeping_durations(api_b, chain, tenant_b):
    link(api_b, chain)

    response = patch(api_b, chain["permits"], {"due_date": "2026-03-11"})  # 5 days late

    assert response.status_code == 200, response.content
    assert dates(tenant_b, chain["permits"]) == ("2026-03-04", "2026-03-11")
    assert dates(tenant_b, chain["trench"]) == ("2026-03-12", "2026-03-16")
    assert dates(tenant_b, chain["splice"]) == ("2026-03-17", "2026-03-17")
    assert dates(tenant_b, chain["survey"]) == ("2026-03-02", "2026-03-03")
    with schema_context(tenant_b.schema_name):
        assert AuditEntry.objects.filter(action="shift", object_id=str(chain["splice"].pk)).exists()


def test_a_slip_within_the_slack_moves_nothing_and_an_earlier_date_never_pulls(
    api_b, chain, tenant_b
):
    link(api_b, chain)

    patch(api_b, chain["permits"], {"due_date": "2026-03-08"})  # trench starts on the 9th
    assert dates(tenant_b, chain["trench"]) == ("2026-03-09", "2026-03-13")
    patch(api_b, chain["permits"], {"due_date": "2026-03-05"})
    assert dates(tenant_b, chain["trench"]) == ("2026-03-09", "2026-03-13")


def test_a_new_dependency_on_a_later_task_moves_the_task_after_it(api_b, chain, tenant_b):
    response = patch(api_b, chain["survey"], {"depends_on": [chain["trench"].pk]})

    assert response.status_code == 200, response.content
    assert dates(tenant_b, chain["survey"]) == ("2026-03-14", "2026-03-15")
    assert response.json()["data"]["attributes"]["start_date"] == "2026-03-14"

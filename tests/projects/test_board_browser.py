"""The board and the timeline in a real browser (headless Chromium on gunicorn): dragging a
card to another column and position saves it without a page load, a reload shows it there;
the Gantt chart draws a dependency arrow between two bars."""

import pytest
from django_tenants.utils import schema_context

from apps.identity import services as identity
from apps.identity.models import Role, User
from apps.platform.licensing.models import Subscription
from apps.projects.models import Project, Task
from apps.projects.services import projects as services
from apps.projects.services import tasks as task_services
from tests.committed import committed

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

PASSWORD = "board-password-1"


def _make(schema: str) -> dict:
    with schema_context(schema):
        role, _ = Role.objects.get_or_create(name="Board Team", defaults={"areas": ["projects"]})
        user = identity.user_create(username="board-pm", password=PASSWORD, first_name="Pat")
        identity.role_grant(user=user, role=role, granted_by="test")
        project = services.project_create(name="Browser board", actor=user)
        columns = {c.name: c for c in project.columns.all()}
        made = {}
        for title, start, due in (("Survey", "2026-03-02", "2026-03-03"),
                                  ("Trench", "2026-03-04", "2026-03-09"),
                                  ("Splice", "2026-03-10", "2026-03-10")):  # fmt: skip
            made[title] = task_services.task_create(project=project, title=title, actor=user,
                                                    column=columns["To do"], start_date=start,
                                                    due_date=due)  # fmt: skip
        task_services.dependencies_set(task=made["Trench"], depends_on=[made["Survey"]])
        return {"project": project.pk, "columns": {k: c.pk for k, c in columns.items()},
                **{k: t.pk for k, t in made.items()}}  # fmt: skip


def _layout(schema: str, project: int) -> dict[str, list[str]]:
    with schema_context(schema):
        found: dict[str, list[str]] = {}
        for task in Task.objects.filter(project_id=project).select_related("column").order_by(
                "column__position", "position"):  # fmt: skip
            found.setdefault(task.column.name, []).append(task.title)
        return found


def _remove(schema: str) -> None:
    with schema_context(schema):
        Project.objects.filter(name="Browser board").delete()
        User.objects.filter(username="board-pm").delete()
        Role.objects.filter(name="Board Team").delete()


def _timeline(slug: str, on: bool) -> None:
    from apps.platform.licensing import services as licensing

    subscription = Subscription.objects.get(tenant__slug=slug, app__key="projects")
    licensing.subscription_set_overrides(
        subscription=subscription, actor="test", features={"projects.timeline": True} if on else {}
    )


def test_dragging_a_card_saves_its_column_and_position_and_a_reload_keeps_it(tenant_page, tenant_b):
    schema = tenant_b.schema_name
    made = committed(_make, schema)
    try:
        page = tenant_page("tenant-b").sign_in("board-pm", PASSWORD)
        page.goto(f"/projects/{made['project']}/board/")
        progress = f"#column-{made['columns']['In progress']}"
        assert page.page.locator(f"{progress} .card").count() == 0
        page.page.evaluate("window.__notReloaded = true")

        page.page.drag_and_drop(f"#task-{made['Trench']}", f"{progress} .cards")
        page.page.wait_for_selector("#board-status:has-text('Moved to In progress')")
        page.page.drag_and_drop(
            f"#task-{made['Splice']}", f"#task-{made['Survey']}", target_position={"x": 10, "y": 3}
        )
        page.page.wait_for_selector("#board-status:has-text('Moved to To do, position 1')")

        assert page.page.evaluate("window.__notReloaded") is True
        assert committed(_layout, schema, made["project"]) == {
            "To do": ["Splice", "Survey"], "In progress": ["Trench"]}  # fmt: skip
        page.page.reload()
        assert page.page.locator(f"{progress} #task-{made['Trench']}").count() == 1
        todo = page.page.locator(f"#column-{made['columns']['To do']} .card a")
        assert todo.all_inner_texts() == ["Splice", "Survey"]
        assert page.page.locator(f"{progress} .wip").inner_text() == "5"
    finally:
        committed(_remove, schema)


def test_the_timeline_shows_the_dependency_between_two_bars(tenant_page, tenant_b):
    schema = tenant_b.schema_name
    made = committed(_make, schema)
    committed(_timeline, "tenant-b", True)
    try:
        page = tenant_page("tenant-b").sign_in("board-pm", PASSWORD)
        page.goto(f"/projects/{made['project']}/timeline/")

        arrow = page.page.locator(
            f'#gantt g.dependency[data-from="{made["Survey"]}"][data-to="{made["Trench"]}"]'
        )
        assert arrow.count() == 1
        assert arrow.locator("path").get_attribute("d").startswith("M")
        bars = page.page.locator("#gantt g.bar rect")
        assert bars.count() == 3
        survey = page.page.locator(f'#gantt g.bar[data-task="{made["Survey"]}"] rect')
        trench = page.page.locator(f'#gantt g.bar[data-task="{made["Trench"]}"] rect')
        assert survey.bounding_box()["x"] < trench.bounding_box()["x"]
    finally:
        committed(_timeline, "tenant-b", False)
        committed(_remove, schema)

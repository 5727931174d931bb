"""Moving cards on the board (`POST tasks/{id}/move/`): positions stay 0..n-1 in every column,
a done column completes the task, WIP limits refuse a full column, and 20 concurrent drags over
a real gunicorn lose no card and put no two in one position."""

import json
import random
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django_tenants.utils import schema_context

from apps.projects.models import Column, Project, Task
from tests.committed import committed
from tests.conftest import obtain_tokens
from tests.projects.factories import ProjectFactory, TaskFactory
from tests.servers import Gunicorn

TASKS = "/api/v1/projects/tasks/"

pytestmark = pytest.mark.django_db


def layout(project) -> dict[str, list[str]]:
    """Column name → the titles of its cards in position order."""
    columns = {c.pk: c.name for c in Column.objects.filter(project=project)}
    found: dict[str, list[str]] = {name: [] for name in columns.values()}
    for task in Task.objects.filter(project=project).order_by("column", "position"):
        found[columns[task.column_id]].append(task.title)
    return found


def positions_are_permutations(project) -> bool:
    for column in Column.objects.filter(project=project):
        positions = sorted(column.tasks.values_list("position", flat=True))
        if positions != list(range(len(positions))):
            return False
    return True


@pytest.fixture
def board(tenant_b):
    with schema_context(tenant_b.schema_name):
        project = ProjectFactory()
        columns = {c.name: c for c in project.columns.all()}
        for title in "ABCD":
            TaskFactory(project=project, column=columns["To do"], title=title)
        TaskFactory(project=project, column=columns["In progress"], title="E")
    return project, columns


def move(api, task_pk, column, position=None):
    body = {"column": column.pk} if position is None else {"column": column.pk,
                                                           "position": position}  # fmt: skip
    return api.post_json(f"{TASKS}{task_pk}/move/", body)


def task(tenant, project, title) -> Task:
    with schema_context(tenant.schema_name):
        return Task.objects.get(project=project, title=title)


def test_a_move_within_a_column_reorders_it(api_b, board, tenant_b):
    project, columns = board

    response = move(api_b, task(tenant_b, project, "D").pk, columns["To do"], 0)

    assert response.status_code == 200, response.content
    assert response.json()["data"]["attributes"]["position"] == 0
    with schema_context(tenant_b.schema_name):
        assert layout(project)["To do"] == ["D", "A", "B", "C"]
        assert positions_are_permutations(project)


def test_a_move_to_another_column_closes_the_gap_and_makes_room(api_b, board, tenant_b):
    project, columns = board

    response = move(api_b, task(tenant_b, project, "B").pk, columns["In progress"], 0)

    assert response.status_code == 200, response.content
    with schema_context(tenant_b.schema_name):
        assert layout(project)["To do"] == ["A", "C", "D"]
        assert layout(project)["In progress"] == ["B", "E"]
        assert positions_are_permutations(project)


def test_a_position_past_the_end_or_none_is_the_bottom(api_b, board, tenant_b):
    project, columns = board

    move(api_b, task(tenant_b, project, "A").pk, columns["In progress"], 99)
    move(api_b, task(tenant_b, project, "C").pk, columns["In progress"])

    with schema_context(tenant_b.schema_name):
        assert layout(project)["In progress"] == ["E", "A", "C"]


def test_the_done_column_completes_the_task_and_leaving_it_reopens(api_b, board, tenant_b):
    project, columns = board
    pk = task(tenant_b, project, "A").pk

    done = move(api_b, pk, columns["Done"])
    back = move(api_b, pk, columns["To do"])

    assert done.json()["data"]["attributes"]["completed_at"] is not None
    assert done.json()["data"]["attributes"]["is_done"] is True
    assert back.json()["data"]["attributes"]["completed_at"] is None


def test_a_full_column_refuses_a_card_and_nothing_moves(api_b, board, tenant_b):
    project, columns = board
    with schema_context(tenant_b.schema_name):
        Column.objects.filter(pk=columns["In progress"].pk).update(wip_limit=1)
        before = layout(project)

    response = move(api_b, task(tenant_b, project, "A").pk, columns["In progress"], 0)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CONFLICT"
    assert "WIP limit (1)" in response.json()["error"]["message"]
    with schema_context(tenant_b.schema_name):
        assert layout(project) == before


def test_a_column_of_another_project_or_a_bad_position_is_refused(api_b, board, tenant_b):
    project, columns = board
    with schema_context(tenant_b.schema_name):
        foreign = ProjectFactory().columns.first()
    pk = task(tenant_b, project, "A").pk

    answers = [
        move(api_b, pk, foreign, 0),
        api_b.post_json(f"{TASKS}{pk}/move/", {"column": columns["To do"].pk, "position": -1}),
        api_b.post_json(f"{TASKS}{pk}/move/", {"column": "x"}),
        api_b.post_json(f"{TASKS}{pk}/move/", {"position": 2}),
    ]

    assert [a.status_code for a in answers] == [400, 400, 400, 400]
    with schema_context(tenant_b.schema_name):
        assert layout(project)["To do"] == ["A", "B", "C", "D"]


def test_deleting_a_card_closes_its_columns_gap(api_b, board, tenant_b):
    project, _ = board

    assert api_b.delete(f"{TASKS}{task(tenant_b, project, 'B').pk}/").status_code == 204

    with schema_context(tenant_b.schema_name):
        assert layout(project)["To do"] == ["A", "C", "D"]
        assert positions_are_permutations(project)


def test_a_column_holding_cards_cannot_be_deleted(api_b, board, tenant_b):
    _, columns = board

    response = api_b.delete(f"/api/v1/projects/columns/{columns['To do'].pk}/")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CONFLICT"


# --- Concurrency over a real server ------------------------------------------------------------


def _in(tenant, fn, *args, **kwargs):
    with schema_context(tenant.schema_name):
        return fn(*args, **kwargs)


def _make_board():
    project = ProjectFactory(columns=[("One", None, False), ("Two", None, False),
                                      ("Three", None, False)])  # fmt: skip
    columns = list(project.columns.order_by("position"))
    for n in range(30):
        TaskFactory(project=project, column=columns[n % 3], title=f"Card {n:02d}")
    return project


def _move(url: str, host: str, token: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={"Host": host, "Authorization": f"Bearer {token}",
                 "Content-Type": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _state(project_pk: int) -> list[tuple[int, int, int]]:
    return list(Task.objects.filter(project_id=project_pk).values_list("id", "column_id",
                                                                       "position"))  # fmt: skip


@pytest.mark.slow
def test_twenty_concurrent_drags_keep_every_column_a_permutation_over_gunicorn(client_b, tenant_b):
    token = obtain_tokens(client_b)["access"]
    project = committed(_in, tenant_b, _make_board)
    try:
        cards = committed(_in, tenant_b, lambda: list(project.tasks.values_list("pk", flat=True)))
        column_ids = committed(_in, tenant_b, lambda: list(
            project.columns.values_list("pk", flat=True)))  # fmt: skip
        chooser = random.Random(14)
        # 20 drags of 16 cards: four cards are dragged twice at once (the second may be told
        # the card moved meanwhile), every column is both a source and a target
        picked = chooser.sample(cards, 16) + chooser.sample(cards[:8], 4)
        moves = [(pk, {"column": chooser.choice(column_ids), "position": chooser.randint(0, 12)})
                 for pk in picked]  # fmt: skip
        with Gunicorn(workers=3) as web, ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(
                lambda m: _move(f"{web.url}{TASKS}{m[0]}/move/", client_b.host, token, m[1]),
                moves))  # fmt: skip

        statuses = [status for status, _ in answers]
        assert set(statuses) <= {200, 409}, answers
        assert statuses.count(200) >= 16, statuses
        rows = committed(_in, tenant_b, _state, project.pk)
        assert sorted(pk for pk, _, _ in rows) == sorted(cards), "a card was lost"
        for column in column_ids:
            positions = sorted(position for _, col, position in rows if col == column)
            assert positions == list(range(len(positions))), (column, positions)
    finally:
        committed(_in, tenant_b, lambda: Project.objects.filter(pk=project.pk).delete())


def test_a_move_costs_the_same_few_queries_whatever_the_board(api_b, board, tenant_b):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    project, columns = board
    pk = task(tenant_b, project, "A").pk
    move(api_b, pk, columns["Review"], 0)  # warm
    with CaptureQueriesContext(connection) as few:
        move(api_b, pk, columns["In progress"], 0)
    with schema_context(tenant_b.schema_name):
        for n in range(30):
            TaskFactory(project=project, column=columns["To do"], title=f"More {n}")
    with CaptureQueriesContext(connection) as many:
        move(api_b, pk, columns["To do"], 3)

    def sent(queries):  # not the tenant switch back after the factories' schema_context
        return [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SET search")]

    assert len(sent(few)) == len(sent(many)), "\n".join(sent(many))
    assert len(sent(many)) <= 12, "\n".join(sql[:150] for sql in sent(many))


def test_the_database_refuses_two_cards_in_one_position(board, tenant_b):
    from django.db import IntegrityError, transaction

    from apps.projects.services.tasks import _check_positions

    project, columns = board
    with schema_context(tenant_b.schema_name):
        a, b = Task.objects.filter(project=project, title__in="AB").order_by("position")

        def clash():
            Task.objects.filter(pk=b.pk).update(position=a.position)  # deferred: accepted
            _check_positions()  # checked now: refused

        with pytest.raises(IntegrityError), transaction.atomic():
            clash()
        assert Task.objects.get(pk=b.pk).position == b.position

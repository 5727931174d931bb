"""The Projects board: a board of 2,000 tasks renders in a constant number of queries, and a
card's move answers in < 20 ms median over HTTP.

    python benchmarks/projects_board.py                      # 2,000 tasks, 300 moves
    python benchmarks/projects_board.py --tasks 5000 --moves 1000

A fresh database (dotmac_bench_projects on DATABASE_URL's server, or the launcher's local
PostgreSQL) gets the `bench` tenant with Project Management and one project whose five columns
hold the tasks. In process (`manage.py shell`), the board page (`/projects/<id>/board/`, the
super admin signed in) is rendered with 10 tasks and with all of them: the queries must be the
same number. Then gunicorn with DotMac's production config serves the tenant and one client
moves random cards to random columns and positions (`POST /api/v1/projects/tasks/{id}/move/`,
one request at a time, like a person dragging); the median, p95 and p99 are reported, and at
the end every column's positions must still be 0..n-1.
"""

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # noqa: E402
from api_throughput import obtain_token  # noqa: E402
from benchlib import TENANT_HOST, Gunicorn, http, log, percentile  # noqa: E402

DATABASE = "dotmac_bench_projects"
GOAL_MOVE_MS = 20.0

PROVISION = benchlib.PROVISION.replace("admin_password=", 'apps=["projects"], admin_password=')

BOARD = """
import json, time
from django.conf import settings
# no collectstatic for a benchmark: plain static URLs instead of the manifest's hashed names
settings.STORAGES = {{**settings.STORAGES, "staticfiles": {{
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}}}
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context
from apps.identity.models import User
from apps.projects.models import Column, Task
from apps.projects.services.projects import project_create

TASKS = {tasks}
with schema_context("bench"):
    admin = User.objects.get(username="bench")
    project = project_create(name="Board benchmark", actor=admin)
    Column.objects.filter(project=project).update(wip_limit=None)  # moves anywhere
    columns = list(Column.objects.filter(project=project).order_by("position"))
    small = project_create(name="Small board", actor=admin)
    small_columns = list(Column.objects.filter(project=small).order_by("position"))

    def fill(target, cols, n):
        rows = [Task(project=target, column=cols[i % len(cols)], position=i // len(cols),
                     title=f"Card {{i}}", estimate_hours=2, labels=["bench"]) for i in range(n)]
        Task.objects.bulk_create(rows, batch_size=1000)

    fill(small, small_columns, 10)
    fill(project, columns, TASKS)
client = Client(HTTP_HOST="{host}")
with schema_context("bench"):  # the session lives in the tenant's schema
    client.force_login(admin)

def measure(pk):
    client.get(f"/projects/{{pk}}/board/")  # warm
    with CaptureQueriesContext(connection) as queries:
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(f"/projects/{{pk}}/board/")
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert response.status_code == 200, response.status_code
    return len(queries), seconds, len(response.content), cpu

few = measure(small.pk)
many = measure(project.pk)
with schema_context("bench"):
    ids = list(Task.objects.filter(project=project).values_list("pk", flat=True))
    column_ids = [c.pk for c in columns]
print(json.dumps({{"project": project.pk, "few": few, "many": many, "tasks": ids,
                  "columns": column_ids}}))
"""

CHECK = """
import json
from django_tenants.utils import schema_context
from apps.projects.models import Column
bad = []
with schema_context("bench"):
    for column in Column.objects.filter(project_id={project}):
        positions = sorted(column.tasks.values_list("position", flat=True))
        if positions != list(range(len(positions))):
            bad.append(column.name)
    total = sum(c.tasks.count() for c in Column.objects.filter(project_id={project}))
print(json.dumps({{"bad": bad, "total": total}}))
"""


def last_json(output: str) -> dict:
    return json.loads(output.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--moves", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args(argv)
    if not 10 <= args.tasks <= 50_000 or not 1 <= args.moves <= 10_000:
        parser.error("--tasks 10..50000, --moves 1..10000")

    with benchlib.data_stores() as stores:
        database_url = benchlib.reset_database(stores["DATABASE_URL"], DATABASE)
        try:
            env = benchlib.app_env(database_url, stores["REDIS_URL"],
                                   WEB_CONCURRENCY=str(args.workers))  # fmt: skip
            log("migrate_schemas ...")
            benchlib.manage("migrate_schemas", "--noinput", env=env)
            benchlib.manage("shell", "-c", PROVISION, env=env)
            log(f"a board of {args.tasks:,} tasks ...")
            script = BOARD.format(tasks=args.tasks, host=TENANT_HOST)
            board = last_json(benchlib.manage("shell", "-c", script, env=env))
            with Gunicorn("dotmac", "dotmac.wsgi", env) as server:
                token = obtain_token(server.url)
                latencies, statuses = moves(server.url, token, board, args.moves)
            check = last_json(benchlib.manage(
                "shell", "-c", CHECK.format(project=board["project"]), env=env))  # fmt: skip
        finally:
            if not args.keep:
                benchlib.drop_database(stores["DATABASE_URL"], DATABASE)

    (few_queries, few_s, _, few_cpu), (many_queries, many_s, size, many_cpu) = (
        board["few"], board["many"])  # fmt: skip
    report = {
        "tasks": args.tasks,
        "board_queries_10_tasks": few_queries,
        "board_queries_all_tasks": many_queries,
        "board_render_ms_10_tasks": round(few_s * 1000, 1),
        "board_render_ms_all_tasks": round(many_s * 1000, 1),
        # CPU time of the rendering process: less at the mercy of a busy machine than wall time
        "board_cpu_ms_10_tasks": round(few_cpu * 1000, 1),
        "board_cpu_ms_all_tasks": round(many_cpu * 1000, 1),
        "board_html_bytes": size,
        "moves": args.moves,
        "gunicorn_workers": args.workers,
        "move_p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "move_p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "move_p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "move_statuses": statuses,
        "columns_not_a_permutation": check["bad"],
        "cards_after": check["total"],
    }
    print(json.dumps(report, indent=2))
    log(
        f"load average at the end: {os.getloadavg()[0]:.2f} (figures of a busy machine are not "
        "the app's)"
    )
    ok = (
        few_queries == many_queries
        and not check["bad"]
        and check["total"] == args.tasks
        and statuses == {"200": args.moves}
        and report["move_p50_ms"] < GOAL_MOVE_MS
    )
    log("goal met: constant queries, moves < 20 ms median, positions intact" if ok
        else "FAILED: see the figures")  # fmt: skip
    return 0 if ok else 1


def moves(url: str, token: str, board: dict, count: int) -> tuple[list[float], dict]:
    chooser = random.Random(2000)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    per_column = max(1, len(board["tasks"]) // len(board["columns"]))
    latencies, statuses = [], {}
    for _ in range(20):  # warm the workers
        http(f"{url}/api/v1/projects/tasks/{board['tasks'][0]}/", host=TENANT_HOST,
             headers=headers)  # fmt: skip
    log(f"{count} moves ...")
    for _ in range(count):
        body = json.dumps({"column": chooser.choice(board["columns"]),
                           "position": chooser.randint(0, per_column)}).encode()  # fmt: skip
        task = chooser.choice(board["tasks"])
        started = time.perf_counter()
        status, _ = http(f"{url}/api/v1/projects/tasks/{task}/move/", host=TENANT_HOST,
                         method="POST", body=body, headers=headers, timeout=30)  # fmt: skip
        latencies.append(time.perf_counter() - started)
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    return latencies, statuses


if __name__ == "__main__":
    sys.exit(main())

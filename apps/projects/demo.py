"""Demo data of Project Management (DESIGN.md §10): xyz-isp runs network build-out and
installation projects, with tasks in every column, time logged and a slipped dependency; where
the tenant has the ISP app too, the Harbour Road installation delivers a pending ISP service
(lead-to-cash: ordered and linked through the same operations and services as in use)."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from apps.core.registry import registry
from apps.identity.models import User
from apps.projects.constants import ProjectStatus
from apps.projects.models import Project, ProjectTemplate, Task
from apps.projects.services import checklists, links, notifications, tasks, templates, time


@transaction.atomic
def projects_demo_ensure(*, tenant, demo, password: str, **_) -> None:
    """Idempotent: seeds only a tenant whose demo subscribes to Projects and has none yet."""
    if "projects" not in demo.apps or Project.objects.exists():
        return
    admin = User.objects.get(username=demo.super_admin.username)
    today = timezone.localdate()
    build_out = ProjectTemplate.objects.get(name="Network build-out")
    install = ProjectTemplate.objects.get(name="Fibre installation")

    north = templates.project_from_template(
        template=build_out, name="North district build-out", actor=admin,
        start_date=today - timedelta(days=40), budget_hours=Decimal("900"),
        budget_amount=Decimal("85000.00"), status=ProjectStatus.ACTIVE,
        description="Fibre to the 1,200 homes of the north district.",
    )  # fmt: skip
    columns = {c.name: c for c in north.columns.all()}
    plan = list(Task.objects.filter(project=north).order_by("start_date", "id"))
    states = ["Done", "Done", "In progress", "To do", "Backlog", "Backlog"]
    for task, column in zip(plan, states, strict=False):
        tasks.task_update(task=task, assignee=admin, actor=admin)
        if column != "Backlog":
            tasks.task_move(task=task, column=columns[column], actor=admin)
    closures = tasks.task_create(
        project=north, title="Order splice closures", column=columns["Review"], assignee=admin,
        priority="high", labels=["procurement"], actor=admin, due_date=today + timedelta(days=2),
        estimate_hours=Decimal("2"),
    )  # fmt: skip
    for n, step in enumerate(("Count the closures per cabinet", "Get three quotes",
                              "Purchase order approved", "Delivery booked")):  # fmt: skip
        checklists.checklist_item_create(task=closures, text=step, done=n < 2, actor=admin)
    # The civil works slipped by a week: the backbone and everything after it moved with them.
    civil = next(t for t in plan if t.title == "Civil works")
    tasks.task_update(task=civil, due_date=civil.due_date + timedelta(days=7), actor=admin)
    # a week of work on each finished task, and the civil works crew's days so far
    days = [(plan[0], 6, 38), (plan[1], 7, 31), (civil, 8, 12)]
    for task, n_days, since in days:
        for day in range(n_days):
            time.time_log_create(task=task, user=admin, hours=Decimal("7.5"), actor=admin,
                                 work_date=today - timedelta(days=since - day),
                                 billable=day % 4 != 3, rate=Decimal("45.00"))  # fmt: skip

    for n, (name, offset) in enumerate((("Installation: 12 Harbour Road", -6),
                                        ("Installation: Riverside Offices", 2))):  # fmt: skip
        project = templates.project_from_template(
            template=install, name=name, actor=admin, start_date=today + timedelta(days=offset),
            budget_hours=Decimal("20"), budget_amount=Decimal("1200.00"),
            status=ProjectStatus.ACTIVE if n == 0 else ProjectStatus.PLANNED,
        )  # fmt: skip
        if n == 0:
            cols = {c.name: c for c in project.columns.all()}
            first = project.tasks.order_by("start_date", "id")
            tasks.task_move(task=first[0], column=cols["Done"], actor=admin)
            tasks.task_move(task=first[1], column=cols["In progress"], actor=admin)
            for step, done in (("Photograph the drop route", True),
                               ("Landlord signs the wayleave", True),
                               ("Council permit filed", False)):  # fmt: skip
                checklists.checklist_item_create(task=first[1], text=step, done=done,
                                                 actor=admin)  # fmt: skip
            time.time_log_create(
                task=first[0],
                user=admin,
                hours=Decimal("3.5"),
                actor=admin,
                work_date=today - timedelta(days=5),
                rate=Decimal("40.00"),
            )
            _service_link(project, admin)
    # what the morning's run tells the admin: their tasks due in the next days
    notifications.due_soon_notify(today=today)


def _service_link(project: Project, admin: User) -> None:
    """The installation delivers a new business customer's pending ISP service (its final
    milestone reached activates it); nothing without the ISP app or a plan on sale."""
    order, plans = registry.operation("isp.service_order"), registry.operation("isp.plans_on_sale")
    on_sale = plans() if plans is not None else []
    if order is None or not on_sale:
        return
    code = next((p["code"] for p in on_sale if p["code"] == "fiber-300"), on_sale[0]["code"])
    ordered = order(plan=code, reference="projects-demo:harbour-road", actor=admin,
                    email="facilities@harbour-road.example.com", name="12 Harbour Road Ltd",
                    note="Fibre installation at 12 Harbour Road ordered")  # fmt: skip
    links.project_link_set(project=project, role=links.Role.SERVICE, ref=ordered["service"],
                           actor=admin)  # fmt: skip

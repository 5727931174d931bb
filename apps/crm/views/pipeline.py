"""The start page, the pipeline board (and its drag-and-drop move) and "my tasks"."""

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from apps.core.exceptions import DomainError
from apps.crm import forms, selectors, services
from apps.crm.constants import ActivityKind, StageKind
from apps.crm.models import Stage
from apps.crm.views.base import KINDS, CrmPage, crm_owners, without_blank


class HomeView(CrmPage):
    """The CRM's start page: my open tasks, my pipeline at a glance."""

    section = "home"

    def get(self, request):
        user = request.user
        open_opps = selectors.opportunities(user).filter(stage__kind=StageKind.OPEN)
        mine = open_opps.filter(owner=user)
        return self.render(
            "home.html",
            tasks=selectors.open_tasks_of(user)[:8],
            open_count=open_opps.count(),
            my_pipeline=sum((o.amount for o in mine), 0),
            my_count=mine.count(),
            lead_count=selectors.leads(user).filter(status__in=["new", "contacted"]).count(),
            win=selectors.win_rate(user),
            closing=open_opps.filter(expected_close_date__isnull=False).order_by(
                "expected_close_date"
            )[:6],  # fmt: skip
        )


class PipelineView(CrmPage):
    """The kanban board: a column per stage, a card per visible opportunity."""

    section = "pipeline"

    def get(self, request):
        rows = selectors.opportunities(request.user)
        owner = request.GET.get("owner", "")
        if owner == "me":
            rows = rows.filter(owner=request.user)
        elif owner.isdigit():
            rows = rows.filter(owner_id=int(owner))
        by_stage: dict[int, list] = {}
        for opp in rows.order_by("expected_close_date", "id"):
            by_stage.setdefault(opp.stage_id, []).append(opp)
        columns = []
        for stage in Stage.objects.all():
            cards = by_stage.get(stage.pk, [])
            columns.append({"stage": stage, "cards": cards,
                            "total": sum((c.amount for c in by_stage.get(stage.pk, [])), 0),
                            "count": len(by_stage.get(stage.pk, []))})  # fmt: skip
        return self.render("pipeline.html", columns=columns, owner=owner, owners=crm_owners())


class MoveView(CrmPage):
    """The board's drag and drop (fetch, JSON): the same service as the API's move action."""

    def post(self, request, pk):
        opportunity = self.record(KINDS["opportunities"], pk, "change")
        try:
            payload = json.loads(request.body or b"{}")
            stage = Stage.objects.get(pk=int(payload.get("stage")))
        except (ValueError, TypeError, Stage.DoesNotExist):
            return JsonResponse({"error": {"code": "VALIDATION_ERROR",
                                           "message": "Unknown stage."}}, status=400)  # fmt: skip
        try:
            opportunity = services.opportunity_move(
                opportunity=opportunity, stage=stage,
                lost_reason=str(payload.get("lost_reason") or ""),
            )  # fmt: skip
        except (DomainError, ValidationError) as error:
            return JsonResponse({"error": {"code": "CONFLICT", "message": str(error)}}, status=409)
        return JsonResponse({"id": opportunity.pk, "stage": stage.pk, "stage_name": stage.name})


class TasksView(CrmPage):
    """My open tasks (and recently done), with a quick "done" button."""

    section = "tasks"

    def get(self, request):
        user = request.user
        now = timezone.now()
        tasks = list(selectors.open_tasks_of(user))
        done = selectors.activities(user).filter(owner=user, done=True).exclude(
            kind=ActivityKind.NOTE).order_by("-done_at")[:10]  # fmt: skip
        return self.render(
            "tasks.html", overdue=[t for t in tasks if t.due_at and t.due_at < now],
            upcoming=[t for t in tasks if not t.due_at or t.due_at >= now], done=done,
            form=forms.ActivityForm(user=user, owners=crm_owners(),
                                    initial={"kind": ActivityKind.TASK}),
        )  # fmt: skip

    def post(self, request):
        form = forms.ActivityForm(request.POST, user=request.user, owners=crm_owners())
        if form.is_valid():
            data = without_blank(dict(form.cleaned_data))
            owner = data.pop("owner", None) or request.user
            try:
                services.activity_create(owner=owner, **data)
                messages.success(request, "Task added.")
            except (ValidationError, DomainError) as error:
                self.fail(error)
        else:
            self.fail(ValidationError(form.errors))
        return redirect("crm:tasks")


class ActivityDoneView(CrmPage):
    def post(self, request, pk):
        activity = selectors.activities(request.user).filter(pk=pk).first()
        if activity is None:
            raise Http404("No such activity.")
        if not selectors.can(request.user, activity, "change"):
            raise PermissionDenied("You may not change this activity.")
        services.activity_complete(activity=activity, done=request.POST.get("done", "1") == "1")
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):  # fmt: skip
            target = reverse("crm:tasks")
        return redirect(target)

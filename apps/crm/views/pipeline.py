"""The start page, the pipeline board (and its drag-and-drop move) and "my tasks"."""

import json

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from apps.core.errors import ErrorCode, error_body
from apps.core.kit.pages import ActionPage
from apps.core.kit.refusals import REFUSALS, refusal_text
from apps.crm import forms, selectors
from apps.crm.constants import ActivityKind, StageKind
from apps.crm.models import Stage
from apps.crm.services import pipeline, records
from apps.crm.views.base import KINDS, CrmPage, crm_owners


class HomeView(CrmPage):
    """The CRM's start page: my open tasks, my pipeline at a glance."""

    section = "home"
    template_name = "crm/home.html"

    def get(self, request):
        user = request.user
        open_opps = selectors.opportunities(user).filter(stage__kind=StageKind.OPEN)
        mine = open_opps.filter(owner=user)
        return self.render(
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
    template_name = "crm/pipeline.html"

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
            columns.append({"stage": stage, "cards": cards, "count": len(cards),
                            "total": sum((card.amount for card in cards), 0)})  # fmt: skip
        return self.render(columns=columns, owner=owner, owners=crm_owners())


def _json_refusal(code: ErrorCode, message: str, status: int) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status)


class MoveView(CrmPage):
    """The board's drag and drop (fetch, JSON): the same service as the API's move action,
    refusals in the API's error envelope."""

    def post(self, request, pk):
        opportunity = self.record(KINDS["opportunities"], pk, "change")
        try:
            payload = json.loads(request.body or b"{}")
            stage = Stage.objects.get(pk=int(payload.get("stage")))
        except (ValueError, TypeError, AttributeError, Stage.DoesNotExist):
            return _json_refusal(ErrorCode.VALIDATION_ERROR, "Unknown stage.", 400)
        try:
            opportunity = pipeline.opportunity_move(
                opportunity=opportunity, stage=stage, actor=self.actor,
                lost_reason=str(payload.get("lost_reason") or ""),
            )  # fmt: skip
        except REFUSALS as error:
            return _json_refusal(ErrorCode.CONFLICT, refusal_text(error), 409)
        return JsonResponse({"id": opportunity.pk, "stage": stage.pk, "stage_name": stage.name})


class TasksView(CrmPage, ActionPage):
    """My open tasks (and recently done), with a quick "done" button and a form to add one of
    one's own (a manager: of someone else's too)."""

    http_method_names = ["get", "post"]
    section = "tasks"
    template_name = "crm/tasks.html"

    def get(self, request):
        user = request.user
        now = timezone.now()
        tasks = list(selectors.open_tasks_of(user))
        done = selectors.activities(user).filter(owner=user, done=True).exclude(
            kind=ActivityKind.NOTE).order_by("-done_at")[:10]  # fmt: skip
        form = forms.ActivityForm(user=user, owners=crm_owners(),
                                  initial={"kind": ActivityKind.TASK})  # fmt: skip
        return self.render(
            overdue=[t for t in tasks if t.due_at and t.due_at < now],
            upcoming=[t for t in tasks if not t.due_at or t.due_at >= now], done=done, form=form,
        )  # fmt: skip

    def act(self) -> str:
        form = forms.ActivityForm(self.request.POST, user=self.request.user, owners=crm_owners())
        if not form.is_valid():
            raise ValidationError(form.errors)
        data = {k: v for k, v in form.cleaned_data.items() if v is not None and v != ""}
        records.activity_create(actor=self.actor, **data)
        return "Task added."

    def done(self):
        return redirect("crm:tasks")


class ActivityDoneView(CrmPage, ActionPage):
    """The ✓ of a task: done (or, with done=0, open again); back to where it was ticked."""

    def act(self) -> str:
        activity = self.get_row(selectors.activity_rows(), self.kwargs["pk"], "change")
        records.activity_complete(activity=activity, actor=self.actor,
                                  done=self.request.POST.get("done", "1") == "1")  # fmt: skip
        return ""

    def done(self):
        return self.back(reverse("crm:tasks"))

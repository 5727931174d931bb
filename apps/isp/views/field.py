"""Field-work pages: the dispatcher's board (/isp/dispatch/: a week by technician; a job is
dragged to another technician or day, or moved with its form, through work_order_schedule) and
a new work order; and the technician app (/tech/: today's jobs in time order, a job's page with
its status buttons, checklist, notes, photos and the customer's signature). The technician app
keeps working offline: static/isp/tech.js hands a form posted without a connection to the
service worker (/tech/sw.js), which keeps it and sends it when the connection is back; each
status form carries its own idempotency key, so a change sent twice is applied once."""

import datetime
import uuid
from functools import cached_property

from csp.constants import NONE, SELF
from csp.decorators import csp
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View

from apps.core.kit.pages import ActionPage, FormPage, Page
from apps.isp.forms import WorkOrderForm
from apps.isp.models import ChecklistItem, WorkOrder
from apps.isp.selectors import field as jobs
from apps.isp.selectors import support as queries
from apps.isp.services import field
from apps.isp.views.base import IspPage

DAYS = 7


def _monday(value: str | None) -> datetime.date:
    try:
        day = datetime.date.fromisoformat(value) if value else timezone.localdate()
    except ValueError:
        day = timezone.localdate()
    day = min(max(day, datetime.date(2000, 1, 3)), datetime.date(2100, 1, 4))
    return day - datetime.timedelta(days=day.weekday())


class DispatchBoard(IspPage):
    """The week's jobs by technician (rows) and day (columns); unassigned jobs in a row of
    their own."""

    template_name = "isp/field/board.html"
    section = "dispatch"

    def get(self, request):
        monday = _monday(request.GET.get("week"))
        days = [monday + datetime.timedelta(days=i) for i in range(DAYS)]
        technicians = list(queries.technicians())
        cells = {(tech.pk if tech else None, day): [] for tech in [*technicians, None]
                 for day in days}  # fmt: skip
        for job in jobs.jobs_of_week(monday):
            day = timezone.localtime(job.slot_start).date()
            cells.setdefault((job.technician_id, day), []).append(job)
        rows = [{"technician": tech, "cells": [(day, cells[(tech.pk if tech else None, day)])
                                               for day in days]}
                for tech in [*technicians, None]]  # fmt: skip
        return self.render(
            monday=monday, days=days, rows=rows, technicians=technicians,
            previous=monday - datetime.timedelta(days=7), next=monday + datetime.timedelta(days=7),
        )  # fmt: skip


class WorkOrderSchedule(IspPage, ActionPage):
    """The board's move: another technician and/or another day and time, same length."""

    def act(self) -> str:
        job = self.get_row(WorkOrder.objects.all(), self.kwargs["pk"], "change")
        self.job = job
        post, fields = self.request.POST, {}
        if "technician" in post:
            value = post.get("technician", "")
            fields["technician"] = (
                queries.technicians().filter(pk=int(value)).first() if value.isdigit() else None
            )
            if value and fields["technician"] is None:
                raise ValidationError({"technician": "Choose a technician."})
        if post.get("day"):
            try:
                day = datetime.date.fromisoformat(post["day"])
                at = (datetime.time.fromisoformat(post["time"]) if post.get("time")
                      else timezone.localtime(job.slot_start).time())  # fmt: skip
            except ValueError as error:
                raise ValidationError({"day": "A day (YYYY-MM-DD) and a time (HH:MM)."}) from error
            fields["slot_start"] = timezone.make_aware(datetime.datetime.combine(day, at))
        field.work_order_schedule(work_order=job, actor=self.actor, **fields)
        return "Job moved."

    def done(self):
        job = getattr(self, "job", None)
        week = timezone.localtime(job.slot_start).date().isoformat() if job else ""
        return redirect(f"{reverse('isp:dispatch')}?week={week}")


class WorkOrderCreate(IspPage, FormPage):
    template_name = "isp/field/form.html"
    section = "dispatch"
    form_class = WorkOrderForm
    create_service = staticmethod(field.work_order_create)
    created_message = "Job scheduled."

    def make_form(self, data=None, instance=None):
        return self.form_class(data, technicians=queries.technicians())

    def saved(self, obj):
        return redirect(f"{reverse('isp:dispatch')}?week={obj.slot_start.date().isoformat()}")


# --- the technician app ------------------------------------------------------------------------


class TechPage(Page):
    """A page of the technician app: the signed-in technician's own jobs only (another's is a
    404, like one that never existed)."""

    def restrict(self, queryset, action: str):
        return queryset.filter(technician_id=self.request.user.pk)


class TodayJobs(TechPage):
    template_name = "isp/tech/today.html"
    section = "today"

    def get(self, request):
        today = timezone.localdate()
        own = self.restrict(jobs.jobs_of_day(request.user, today), "view")
        rows = [(job, jobs.job_address(job), jobs.map_link(job)) for job in own]
        return self.render(rows=rows, today=today)


class JobPage(TechPage):
    section = "today"

    @cached_property
    def job(self) -> WorkOrder:
        queryset = WorkOrder.objects.select_related("customer", "service")
        return self.get_row(queryset, self.kwargs["pk"])


class JobDetail(JobPage):
    template_name = "isp/tech/job.html"

    def get(self, request, pk):
        job = self.job
        moves = sorted(field.TRANSITIONS.get(job.status, set()) - {WorkOrder.Status.CANCELLED})
        return self.render(
            job=job, address=jobs.job_address(job), map_link=jobs.map_link(job),
            checklist=list(job.checklist.all()), files=list(job.files.all()),
            moves=[(move, WorkOrder.Status(move).label) for move in moves],
            key=uuid.uuid4().hex,  # this form's change: sent again (offline replay), once
        )  # fmt: skip


class JobAction(JobPage, ActionPage):
    def act(self) -> str:
        job, post, actor = self.job, self.request.POST, self.actor
        action = self.kwargs["action"]
        if action == "status":
            _, applied = field.work_order_transition(
                work_order=job, to=post.get("status", ""), reason=post.get("reason", ""),
                idempotency_key=post.get("idempotency_key", "")[:100], actor=actor,
            )  # fmt: skip
            return "Status updated." if applied else "Already done."
        if action == "checklist":
            item = ChecklistItem.objects.filter(work_order=job, pk=post.get("item") or 0).first()
            if item is None:
                raise ValidationError({"item": "No such step."})
            field.checklist_tick(item=item, done=post.get("done") == "on", actor=actor)
            return ""
        if action == "notes":
            field.work_order_note(work_order=job, text=post.get("text", "")[:5000], actor=actor)
            return "Note added."
        if action == "photo":
            file = self.request.FILES.get("file")
            if file is None:
                raise ValidationError({"file": "Take or choose a photo."})
            field.work_order_file_add(work_order=job, file=file, actor=actor)
            return "Photo added."
        if action == "signature":
            field.work_order_signature_add(work_order=job, data_url=post.get("signature", ""),
                                           actor=actor)  # fmt: skip
            return "Signature saved."
        raise Http404("No such action.")

    def done(self):
        return redirect("tech:job", self.job.pk)


#: A worker runs under its script's policy: the non-HTML one (default-src 'none') would
#: forbid the fetches it exists for; it may fetch from its own origin, nothing else.
WORKER_POLICY = {"default-src": [NONE], "connect-src": [SELF], "frame-ancestors": [NONE]}


@method_decorator(csp(WORKER_POLICY), name="dispatch")
class ServiceWorker(View):
    """The technician app's service worker, served under /tech/ so that its scope is the
    app (a worker's scope is at most its script's folder); its own policy lets it fetch."""

    def get(self, request):
        path = finders.find("isp/tech-sw.js")
        with open(path, encoding="utf-8") as script:
            response = HttpResponse(script.read(), content_type="text/javascript")
        response["Cache-Control"] = "no-cache"
        response["Service-Worker-Allowed"] = "/tech/"
        return response

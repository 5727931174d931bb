"""Lead-to-cash on the project's pages: link the ISP service order it delivers, invoice its
billable time to that customer, export its billable time as CSV (apps.projects.services.links;
another app's part is offered only where the tenant has that app)."""

import csv
import io

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect

from apps.core.kit.csvimport import spreadsheet_safe
from apps.core.kit.pages import ActionPage
from apps.projects.services import links
from apps.projects.views import ProjectsPage

Role = links.Role


class ServiceLinkView(ProjectsPage, ActionPage):
    """Link the project to a pending ISP service order (an empty ref unlinks)."""

    def act(self) -> str:
        project = self.project("change")
        ref = self.request.POST.get("ref", "")
        links.project_link_set(project=project, role=Role.SERVICE, ref=ref, actor=self.actor)
        return "Service linked." if ref else "Service unlinked."

    def done(self):
        return redirect("projects:project", pk=self.kwargs["pk"])


class InvoiceTimeView(ProjectsPage, ActionPage):
    """Billable time not yet invoiced → the linked ISP customer's next invoice."""

    def act(self) -> str:
        project = self.project("change")
        count = links.billable_time_charge(project=project, actor=self.actor)
        if not count:
            return "No billable time left to invoice."
        return f"{count} time logs go on the customer's next invoice."

    def done(self):
        return redirect("projects:project", pk=self.kwargs["pk"])


COLUMNS = ("date", "task", "person", "hours", "rate", "amount", "note", "invoiced")


def billable_time_csv(project, start, end) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    rows = links.billable_time(project).filter(work_date__gte=start, work_date__lte=end)
    for log in rows.iterator(chunk_size=500):
        charged = hasattr(log, "charge")  # its TimeLogCharge (selected with it)
        writer.writerow([spreadsheet_safe(v) for v in (
            log.work_date.isoformat(), log.task.title, log.user.get_username(), log.hours,
            log.rate, log.amount, log.note, "yes" if charged else "no",
        )])  # fmt: skip
    return out.getvalue()


class BillableTimeExportView(ProjectsPage):
    """The project's billable time logs of a date range (?start=&end=, at most a year) as CSV."""

    def get(self, request, pk):
        project = self.project()
        try:
            start, end = links.export_span(request.GET.get("start"), request.GET.get("end"))
        except ValidationError as error:
            return HttpResponse("; ".join(error.messages), status=400,
                                content_type="text/plain; charset=utf-8")  # fmt: skip
        return HttpResponse(
            billable_time_csv(project, start, end), content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="project-{project.pk}-'
                                            f'billable-{start}-{end}.csv"'},
        )  # fmt: skip


__all__ = ["BillableTimeExportView", "InvoiceTimeView", "ServiceLinkView"]

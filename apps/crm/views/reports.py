"""Reports (with the plan-gated forecast), CSV import and export."""

import math

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from apps.core.throttling import bulk_rate_hit
from apps.crm import forms, imports, reports, selectors
from apps.crm.constants import FORECASTING
from apps.crm.views.base import CrmPage, tenant_has_feature
from apps.crm.views.records import ListView


class ReportsView(CrmPage):
    """Pipeline value by stage, weighted forecast by month (Pro: crm.forecasting), win rate,
    lead conversion by source, each with a server-drawn chart."""

    section = "reports"
    template_name = "crm/reports.html"

    def get(self, request):
        user = request.user
        pipeline = selectors.pipeline_by_stage(user)
        conversion = selectors.conversion_by_source(user)
        forecasting = tenant_has_feature(FORECASTING)
        forecast = selectors.weighted_forecast(user) if forecasting else []
        return self.render(
            pipeline=pipeline,
            pipeline_chart=reports.bar_chart([(b.label, b.value, b.extra) for b in pipeline]),
            pipeline_total=sum((b.value for b in pipeline), 0),
            forecasting=forecasting,
            forecast=forecast,
            forecast_chart=reports.bar_chart([(b.label, b.value, b.extra) for b in forecast]),
            forecast_total=sum((b.value for b in forecast), 0),
            win=selectors.win_rate(user),
            conversion=conversion,
            conversion_chart=reports.bar_chart(
                [(r["label"], r["rate"], f"{r['converted']}/{r['total']}") for r in conversion],
                fmt="{:.1f}%",
                top=100,
            ),
        )


class ForecastView(CrmPage):
    """The forecast section alone (its own URL, so the plan gate is visible as a 403)."""

    section = "reports"

    def get(self, request):
        if not tenant_has_feature(FORECASTING):
            return self.render("crm/forecast_locked.html", status=403)
        forecast = selectors.weighted_forecast(request.user)
        return self.render(
            "crm/forecast.html", forecast=forecast,
            forecast_chart=reports.bar_chart([(b.label, b.value, b.extra) for b in forecast]),
            forecast_total=sum((b.value for b in forecast), 0),
        )  # fmt: skip


class ImportView(CrmPage):
    """CSV import: upload → preview with each row's errors → confirm (all rows or none)."""

    section = "import"
    session_key = "crm_import"

    def get(self, request):
        return self.render("crm/import.html", form=forms.CsvUploadForm(), columns=imports.COLUMNS)

    def post(self, request):
        if request.POST.get("confirm"):
            return self.confirm(request)
        form = forms.CsvUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render("crm/import.html", status=400, form=form, columns=imports.COLUMNS)
        upload = form.cleaned_data["file"]
        try:
            text = upload.read(imports.IMPORT_MAX_BYTES + 1).decode("utf-8-sig")
        except UnicodeDecodeError:
            form.add_error("file", "The file is not UTF-8 text.")
            return self.render("crm/import.html", status=400, form=form, columns=imports.COLUMNS)
        kind = form.cleaned_data["kind"]
        result = imports.csv_check(kind=kind, text=text, importer=request.user)
        if result.ok:
            request.session[self.session_key] = {"kind": kind, "text": text}
        return self.render("crm/import_preview.html", status=200 if result.ok else 400,
                           result=result, columns=imports.COLUMNS[kind])  # fmt: skip

    def confirm(self, request):
        pending = request.session.get(self.session_key)
        if not pending:
            messages.error(request, "Nothing to import: upload the file again.")
            return redirect("crm:import")
        attempt = bulk_rate_hit(request)
        if not attempt.allowed:  # the upload stays pending: confirm again later
            minutes = math.ceil(attempt.retry_after / 60)
            messages.error(
                request,
                f"Too many bulk operations ({attempt.limit} an hour): confirm this import again "
                f"in {minutes} minute{'s' if minutes != 1 else ''}.",
            )
            result = imports.csv_check(
                kind=pending["kind"], text=pending["text"], importer=request.user
            )
            response = self.render(
                "crm/import_preview.html",
                status=429,
                result=result,
                columns=imports.COLUMNS[pending["kind"]],
            )
            response["Retry-After"] = str(attempt.retry_after)
            return response
        del request.session[self.session_key]
        try:
            result = imports.csv_import(kind=pending["kind"], text=pending["text"],
                                        importer=request.user)  # fmt: skip
        except imports.ImportRejected as rejected:
            result = imports.csv_check(kind=pending["kind"], text=pending["text"],
                                       importer=request.user)  # fmt: skip
            messages.error(request, rejected.message)
            return self.render("crm/import_preview.html", status=400, result=result,
                               rejected=rejected.details,
                               columns=imports.COLUMNS[pending["kind"]])  # fmt: skip
        messages.success(request, f"Imported {result.created} {pending['kind']}.")
        return redirect("crm:list", kind=pending["kind"])


class ExportView(ListView):
    """The list as CSV, with the list page's search and filters."""

    def get(self, request, kind):
        if kind not in imports.EXPORT_COLUMNS:
            raise Http404
        stamp = timezone.now().strftime("%Y%m%d")
        return HttpResponse(
            imports.csv_export(kind=kind, queryset=self.listed()),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="crm-{kind}-{stamp}.csv"'},
        )

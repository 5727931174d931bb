"""Reports (with the plan-gated forecast), CSV import and export."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from apps.core.kit.charts import bar_chart
from apps.core.kit.csvimport import CsvImportPage
from apps.crm import forms, imports, selectors
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
            pipeline_chart=bar_chart([(b.label, b.value, b.extra) for b in pipeline]),
            pipeline_total=sum((b.value for b in pipeline), 0),
            forecasting=forecasting,
            forecast=forecast,
            forecast_chart=bar_chart([(b.label, b.value, b.extra) for b in forecast]),
            forecast_total=sum((b.value for b in forecast), 0),
            win=selectors.win_rate(user),
            conversion=conversion,
            conversion_chart=bar_chart(
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
            forecast_chart=bar_chart([(b.label, b.value, b.extra) for b in forecast]),
            forecast_total=sum((b.value for b in forecast), 0),
        )  # fmt: skip


class ImportView(CsvImportPage, CrmPage):
    """CSV import: upload → preview with each row's errors → confirm (all rows or none)."""

    section = "import"
    session_key = "crm_import"
    upload_template = "crm/import.html"
    preview_template = "crm/import_preview.html"
    upload_url = "crm:import"
    max_bytes = imports.IMPORT_MAX_BYTES
    form_class = forms.CsvUploadForm

    def pending_of(self, form, text: str) -> dict:
        return {"kind": form.cleaned_data["kind"], "text": text}

    def check(self, pending: dict):
        return imports.csv_check(kind=pending["kind"], text=pending["text"],
                                 importer=self.request.user)  # fmt: skip

    def run(self, pending: dict):
        return imports.csv_import(kind=pending["kind"], text=pending["text"],
                                  importer=self.request.user)  # fmt: skip

    def done(self, pending: dict, result):
        messages.success(self.request, f"Imported {result.created} {pending['kind']}.")
        return redirect("crm:list", kind=pending["kind"])

    def upload_context(self) -> dict:
        return {"columns": imports.COLUMNS}

    def preview_context(self, pending: dict) -> dict:
        return {"columns": imports.COLUMNS[pending["kind"]]}


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

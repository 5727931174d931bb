"""The CRM's pages at /crm/. Licence and area access are checked by middleware before these
run; visibility and ownership by `CrmPage` through apps.crm.selectors, as the API does; every
write calls the same service as the API."""

from apps.crm.views.pipeline import ActivityDoneView, HomeView, MoveView, PipelineView, TasksView
from apps.crm.views.records import (
    ActivityAddView,
    ConvertView,
    DeleteView,
    DetailView,
    FormView,
    ListView,
    OwnershipView,
    PartyLinkView,
    StartProjectView,
)
from apps.crm.views.reports import ExportView, ForecastView, ImportView, ReportsView

__all__ = [
    "ActivityAddView", "ActivityDoneView", "ConvertView", "DeleteView", "DetailView",
    "ExportView", "ForecastView", "FormView", "HomeView", "ImportView", "ListView", "MoveView",
    "OwnershipView", "PartyLinkView", "PipelineView", "ReportsView", "StartProjectView",
    "TasksView",
]  # fmt: skip

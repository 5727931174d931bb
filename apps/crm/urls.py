"""Pages of the CRM, mounted at its area's prefix (/crm/, apps/crm/apps.py) as namespace "crm"."""

from django.urls import path

from apps.crm import views

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("pipeline/", views.PipelineView.as_view(), name="pipeline"),
    path("tasks/", views.TasksView.as_view(), name="tasks"),
    path("reports/", views.ReportsView.as_view(), name="reports"),
    path("reports/forecast/", views.ForecastView.as_view(), name="forecast"),
    path("import/", views.ImportView.as_view(), name="import"),
    path("opportunities/<int:pk>/move/", views.MoveView.as_view(), name="move"),
    path("leads/<int:pk>/convert/", views.ConvertView.as_view(), name="convert"),
    path(
        "<str:kind>/<int:pk>/start-project/", views.StartProjectView.as_view(), name="start-project"
    ),
    path("<str:kind>/<int:pk>/party-link/", views.PartyLinkView.as_view(), name="party-link"),
    path("activities/<int:pk>/done/", views.ActivityDoneView.as_view(), name="activity-done"),
    path("<str:kind>/", views.ListView.as_view(), name="list"),
    path("<str:kind>/export.csv", views.ExportView.as_view(), name="export"),
    path("<str:kind>/new/", views.FormView.as_view(), name="create"),
    path("<str:kind>/<int:pk>/", views.DetailView.as_view(), name="detail"),
    path("<str:kind>/<int:pk>/edit/", views.FormView.as_view(), name="edit"),
    path("<str:kind>/<int:pk>/delete/", views.DeleteView.as_view(), name="delete"),
    path("<str:kind>/<int:pk>/ownership/", views.OwnershipView.as_view(), name="ownership"),
    path("<str:kind>/<int:pk>/activities/", views.ActivityAddView.as_view(), name="activity-add"),
]

#: area → its pages (apps.core.kit.urls mounts them at the area's prefix).
by_area = {"crm": urlpatterns}

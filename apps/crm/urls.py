from django.urls import path

from apps.crm import views

app_name = "crm"

urlpatterns = [
    path("crm/", views.HomeView.as_view(), name="home"),
    path("crm/pipeline/", views.PipelineView.as_view(), name="pipeline"),
    path("crm/tasks/", views.TasksView.as_view(), name="tasks"),
    path("crm/reports/", views.ReportsView.as_view(), name="reports"),
    path("crm/reports/forecast/", views.ForecastView.as_view(), name="forecast"),
    path("crm/import/", views.ImportView.as_view(), name="import"),
    path("crm/opportunities/<int:pk>/move/", views.MoveView.as_view(), name="move"),
    path("crm/leads/<int:pk>/convert/", views.ConvertView.as_view(), name="convert"),
    path("crm/accounts/<int:pk>/isp-link/", views.PartyLinkView.as_view(), name="party-link"),
    path("crm/activities/<int:pk>/done/", views.ActivityDoneView.as_view(), name="activity-done"),
    path("crm/<str:kind>/", views.ListView.as_view(), name="list"),
    path("crm/<str:kind>/export.csv", views.ExportView.as_view(), name="export"),
    path("crm/<str:kind>/new/", views.FormView.as_view(), name="create"),
    path("crm/<str:kind>/<int:pk>/", views.DetailView.as_view(), name="detail"),
    path("crm/<str:kind>/<int:pk>/edit/", views.FormView.as_view(), name="edit"),
    path("crm/<str:kind>/<int:pk>/delete/", views.DeleteView.as_view(), name="delete"),
    path("crm/<str:kind>/<int:pk>/ownership/", views.OwnershipView.as_view(), name="ownership"),
    path(
        "crm/<str:kind>/<int:pk>/activities/", views.ActivityAddView.as_view(), name="activity-add"
    ),
]

"""Self-service signup on the public host (never mounted on tenant hosts)."""

from django.urls import path

from apps.platform.tenants import views

app_name = "signup"
urlpatterns = [
    path("", views.SignupView.as_view(), name="form"),
    path("check-slug/", views.check_slug, name="check-slug"),
    path("<slug:slug>/preparing/", views.preparing, name="preparing"),
    path("<slug:slug>/status/", views.status, name="status"),
]

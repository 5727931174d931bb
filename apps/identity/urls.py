from django.urls import path

from apps.identity import views

urlpatterns = [
    path("", views.LauncherView.as_view(), name="launcher"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
]

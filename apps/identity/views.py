"""Single sign-on pages of a tenant host: sign in once, open every app your roles grant."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from apps.identity.access import licensed_areas, openable_areas
from apps.identity.selectors import super_admins


class LauncherView(LoginRequiredMixin, TemplateView):
    """The apps this user may open; subscribed ones their roles do not open, greyed out."""

    template_name = "identity/launcher.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        openable = openable_areas(user)
        locked = [area for area in licensed_areas() if area not in openable]
        return super().get_context_data(
            tenant=self.request.tenant,
            openable=openable,
            locked=locked,
            admins=super_admins() if locked else [],
            **kwargs,
        )


class LoginView(auth_views.LoginView):
    template_name = "identity/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return super().get_context_data(tenant=self.request.tenant, **kwargs)


class LogoutView(auth_views.LogoutView):
    """POST only (Django's rule): ends the one session that serves every app."""

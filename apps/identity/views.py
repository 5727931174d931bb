"""Single sign-on pages of a tenant host: sign in once, open every app your roles grant."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from apps.core.throttling import throttled_login_page
from apps.identity.access import launcher_entry, licensed_areas, openable_areas
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
            openable=[launcher_entry(area) for area in openable],
            locked=[launcher_entry(area) for area in locked],
            admins=super_admins() if locked else [],
            **kwargs,
        )


class LoginView(auth_views.LoginView):
    """The tenant's sign-in page. Sign-ins from one IP share LOGIN_RATE_PER_MINUTE with the
    token endpoint (429 page past it); a locked-out account gets axes' answer
    (`apps.core.throttling.lockout_response`)."""

    template_name = "identity/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        refused = throttled_login_page(request)
        if refused is not None:
            return refused
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(tenant=self.request.tenant, **kwargs)


class LogoutView(auth_views.LogoutView):
    """POST only (Django's rule): ends the one session that serves every app."""


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "identity/password_reset_form.html"
    email_template_name = "identity/emails/password_reset.txt"
    subject_template_name = "identity/emails/password_reset_subject.txt"
    success_url = "/password-reset/sent/"


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "identity/message.html"
    extra_context = {
        "heading": "Check your email",
        "text": "If an account uses that address, a link to choose a new password is on its way.",
    }


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Choose a new password from an emailed link; also how an invited user accepts."""

    template_name = "identity/password_set.html"
    success_url = "/reset/done/"
    extra_context = {"heading": "Choose a new password"}


class InvitationAcceptView(PasswordResetConfirmView):
    extra_context = {"heading": "Welcome! Choose your password"}


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "identity/message.html"
    extra_context = {
        "heading": "Your password is set",
        "text": "You can sign in with it now.",
        "link": "/login/",
        "link_text": "Sign in",
    }

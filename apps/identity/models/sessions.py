from django.conf import settings
from django.db import models

__all__ = ["UserSession"]


class UserSession(models.Model):
    """A signed-in browser session of a user, so that disabling the user can end all of them
    (Django's session table does not index sessions by user)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="browser_sessions"
    )
    session_key = models.CharField("session key", max_length=40, unique=True)
    ip = models.GenericIPAddressField("IP address", null=True, blank=True)
    user_agent = models.CharField("browser", max_length=300, blank=True)
    created_at = models.DateTimeField("signed in", auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "signed-in session"

    def __str__(self) -> str:
        return f"{self.user} · {self.created_at:%Y-%m-%d %H:%M}"

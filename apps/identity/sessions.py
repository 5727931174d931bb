"""Browser sessions: recorded at sign-in, timed out when idle or too old, ended all at once when
the user is disabled (with the user's refresh tokens)."""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.contrib.sessions.backends.base import SessionBase
from django.utils.module_loading import import_string
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from apps.identity.models import UserSession

STARTED, SEEN = "_dotmac_started", "_dotmac_seen"


def session_store() -> type[SessionBase]:
    return import_string(f"{settings.SESSION_ENGINE}.SessionStore")


def session_started(request, user) -> None:
    """At sign-in (Django has already given the session a new key): remember it for the user."""
    now = time.time()
    request.session[STARTED] = request.session[SEEN] = now
    request.session.save()  # the key must exist to be recorded
    UserSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "ip": request.META.get("REMOTE_ADDR") or None,
            "user_agent": request.headers.get("User-Agent", "")[:300],
        },
    )


def sessions_end_for(user) -> int:
    """End every browser session of the user, in every worker (the store is shared)."""
    store = session_store()
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    UserSession.objects.filter(user=user).delete()
    return len(keys)


def refresh_tokens_revoke_for(user) -> int:
    """Blacklist every refresh token the user holds (access tokens die with is_active)."""
    outstanding = OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False)
    tokens = list(outstanding)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in tokens], ignore_conflicts=True
    )
    return len(tokens)


class SessionTimeoutMiddleware:
    """Sign a browser session out after SESSION_IDLE_SECONDS without a request, or
    SESSION_ABSOLUTE_SECONDS after sign-in, whichever comes first.

    The last-seen time is written at most once a minute, not on every request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and STARTED in request.session:
            now = time.time()
            started = request.session[STARTED]
            seen = request.session.get(SEEN, started)
            if (
                now - seen > settings.SESSION_IDLE_SECONDS
                or now - started > settings.SESSION_ABSOLUTE_SECONDS
            ):
                logout(request)
                if not request.path_info.startswith("/api/"):
                    return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            elif now - seen > 60:
                request.session[SEEN] = now
        return self.get_response(request)

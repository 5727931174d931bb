"""Request ids, probes and metrics: the middleware that runs before tenant routing."""

import ipaddress

from apps.core import health, metrics, ratelimit, usage
from apps.core.context import (
    accept_request_id,
    actor_var,
    ip_var,
    request_id_var,
    request_var,
    source_var,
    tenant_var,
)

REQUEST_ID_HEADER = "X-Request-ID"


def client_ip(request) -> str | None:
    """The client's address for the audit trail: the one rate limits count (NUM_PROXIES
    trusted proxies honoured), or None when it is not a valid IP address."""
    try:
        return str(ipaddress.ip_address(ratelimit.client_ip(request).strip()))
    except ValueError:
        return None


def request_source(request) -> str:
    """Which door a write came through, for the audit trail."""
    path = request.path_info
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/admin/"):
        return "admin"
    return "page"


class RequestIdMiddleware:
    """Give every request an id (reusing a well-formed incoming one) and echo it back.

    It also opens the audit context of the request (apps.core.audit reads it): the request
    itself (its user is read when an entry is written, after authentication), the client's IP
    and the source. Those are reset when the response leaves, so that nothing written after the
    request (a test, a shell) is attributed to it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = accept_request_id(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        # Set, not reset afterwards: Django logs the response (django.request) after the
        # middleware chain returns, and that line must carry the id too.
        request_id_var.set(request_id)
        tenant_var.set("-")
        tokens = (
            (request_var, request_var.set(request)),
            (actor_var, actor_var.set(None)),
            (ip_var, ip_var.set(client_ip(request))),
            (source_var, source_var.set(request_source(request))),
        )
        try:
            response = self.get_response(request)
        finally:
            for var, token in reversed(tokens):
                var.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


class OperationsMiddleware:
    """Answer probes and /metrics on any host, before host validation and tenant routing.

    A kubelet probes the pod IP, which is no tenant's host; these paths must not depend on one.
    """

    PROBES = {
        "/health/live": health.live,
        "/health/ready": health.ready,
        "/health/startup": health.startup,
        "/health": health.ready,
    }

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info.rstrip("/") or "/"
        probe = self.PROBES.get(path)
        if probe is not None:
            return probe(request)
        if path == "/metrics":
            return metrics.export(request)
        return self.get_response(request)


def is_api_request(request) -> bool:
    return request.path_info.startswith("/api/")


class UsageMiddleware:
    """Count the tenant's request for its daily usage (apps.core.usage): an API call under its
    app, the user active today. After the response, when DRF has authenticated a token's user
    onto the request too. One pipelined Redis round-trip; nothing on the public host."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else None
        usage.count_request(path=request.path_info, user_id=user_id, status=response.status_code)
        return response

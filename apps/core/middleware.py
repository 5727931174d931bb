"""Request ids, probes and metrics: the middleware that runs before tenant routing."""

from apps.core import health, metrics
from apps.core.context import accept_request_id, request_id_var, tenant_var

REQUEST_ID_HEADER = "X-Request-ID"


class RequestIdMiddleware:
    """Give every request an id (reusing a well-formed incoming one) and echo it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = accept_request_id(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        # Set, not reset afterwards: Django logs the response (django.request) after the
        # middleware chain returns, and that line must carry the id too.
        request_id_var.set(request_id)
        tenant_var.set("-")
        response = self.get_response(request)
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

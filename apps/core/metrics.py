"""Prometheus metrics at /metrics, for a bearer token or an internal network only."""

import hmac
import ipaddress
from functools import cache

from django.conf import settings
from django_prometheus.exports import ExportToDjangoView

from apps.core.errors import ErrorCode, error_response


@cache
def _allowed_networks() -> tuple:
    return tuple(
        ipaddress.ip_network(net, strict=False) for net in settings.METRICS_ALLOWED_NETWORKS
    )


def _client_in_allowed_network(request) -> bool:
    # A request relayed by a reverse proxy on the same machine arrives from 127.0.0.1; it is
    # still an outside request, so a forwarded request never passes on its address alone.
    if "HTTP_X_FORWARDED_FOR" in request.META or "HTTP_FORWARDED" in request.META:
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in _allowed_networks())


def _has_token(request) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(header, f"Bearer {token}")


def is_allowed(request) -> bool:
    return _has_token(request) or _client_in_allowed_network(request)


def export(request):
    if not is_allowed(request):
        # Indistinguishable from a path that does not exist.
        return error_response(ErrorCode.NOT_FOUND)
    return ExportToDjangoView(request)

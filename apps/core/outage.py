"""A data store that cannot be reached is a 503 in the request's format, never a 500 page.

When PostgreSQL or Redis (cache, sessions, the broker) is down, a request fails wherever it
first needs one: tenant routing, the session, a view, a task's dispatch. Each of those answers
503 SERVICE_UNAVAILABLE with a Retry-After: the error envelope under /api/, a plain page
elsewhere (drawn without the context processors, which would reach for the same store), and
the next request after the store is back is served as usual (connections are checked before
reuse: CONN_HEALTH_CHECKS). What keeps working without Redis does (a bearer token's API call:
the rate limits let requests through and licences are read from PostgreSQL); sign-in does
not (its limits fail closed, apps.core.throttling).

Where the failure is caught: DRF views through the API's exception handler
(apps.core.api.exceptions); everything else (middleware, pages, the debug page of `make run`)
through Django's `got_request_exception`, which marks the request, and `OutageMiddleware`
(within the request id and the security headers), which swaps whatever answer was drawn for
the 503.
"""

import logging
import sys

import redis
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.dispatch import receiver
from django.http import HttpResponse
from django.template.loader import render_to_string
from kombu.exceptions import OperationalError as BrokerError

from apps.core.errors import ErrorCode, error_response
from apps.core.middleware import is_api_request

logger = logging.getLogger(__name__)

#: Errors that mean "a data store is unreachable or refusing work right now", not a bug.
OUTAGE_ERRORS = (
    OperationalError,  # PostgreSQL down, restarting, out of connections; a statement timeout
    InterfaceError,  # a connection closed under us
    redis.ConnectionError,
    redis.TimeoutError,
    BrokerError,  # the broker (Redis) refused a task
)
RETRY_AFTER_SECONDS = 5
MESSAGE = "The service is briefly unavailable. Please try again in a few seconds."


def is_outage(exc: BaseException | None) -> bool:
    return isinstance(exc, OUTAGE_ERRORS)


def outage_response(request) -> HttpResponse:
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if is_api_request(request):
        return error_response(ErrorCode.SERVICE_UNAVAILABLE, MESSAGE, headers=headers)
    html = render_to_string("errors/503.html", {"request": request, "message": MESSAGE})
    return HttpResponse(html, status=503, headers=headers)


@receiver(got_request_exception, dispatch_uid="apps.core.outage")
def _mark_outage(sender, request=None, **kwargs) -> None:
    # Sent by Django while it handles an exception a view or a middleware raised.
    exc = sys.exc_info()[1]
    if request is not None and is_outage(exc):
        request.outage = exc


class OutageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            response = self.get_response(request)
        except OUTAGE_ERRORS as exc:  # raised again while the error page was drawn
            request.outage = exc
        outage = getattr(request, "outage", None)
        if outage is None:
            return response
        logger.error("%s %s: service unavailable: %s", request.method, request.path, outage)
        return outage_response(request)

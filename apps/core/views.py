"""Error handlers for plain Django views: JSON envelope under /api/, HTML pages elsewhere."""

import logging

from django.shortcuts import render
from django.views.decorators.csrf import requires_csrf_token

from apps.core.errors import ErrorCode, error_response
from apps.core.middleware import is_api_request

logger = logging.getLogger(__name__)


def _page_or_envelope(request, code: ErrorCode, template: str, status: int, message=None):
    if is_api_request(request):
        return error_response(code, message)
    return render(request, template, {"message": message}, status=status)


def bad_request(request, exception=None):
    return _page_or_envelope(request, ErrorCode.VALIDATION_ERROR, "errors/400.html", 400)


def permission_denied(request, exception=None):
    return _page_or_envelope(request, ErrorCode.PERMISSION_DENIED, "errors/403.html", 403)


def page_not_found(request, exception=None):
    return _page_or_envelope(request, ErrorCode.NOT_FOUND, "errors/404.html", 404)


@requires_csrf_token
def server_error(request):
    # Never a stack trace: the request id is what support needs to find it in the logs.
    return _page_or_envelope(request, ErrorCode.INTERNAL_ERROR, "errors/500.html", 500)


def csrf_failure(request, reason=""):
    return _page_or_envelope(
        request, ErrorCode.PERMISSION_DENIED, "errors/403.html", 403, f"CSRF check failed: {reason}"
    )

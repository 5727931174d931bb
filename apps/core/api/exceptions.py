"""DRF exceptions and the handler that turns every API failure into the error envelope."""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from apps.core.errors import STATUS_OF, ErrorCode, error_body
from apps.core.exceptions import DomainError
from apps.core.outage import MESSAGE as OUTAGE_MESSAGE
from apps.core.outage import RETRY_AFTER_SECONDS, is_outage

logger = logging.getLogger("apps.core.api")


class DotMacAPIException(exceptions.APIException):
    """An API failure with one of DotMac's error codes."""

    error_code: ErrorCode = ErrorCode.INTERNAL_ERROR

    def __init__(self, detail=None, details: list | None = None):
        super().__init__(detail or None)
        self.details = details or []


def _coded(code: ErrorCode, name: str) -> type[DotMacAPIException]:
    return type(name, (DotMacAPIException,), {"error_code": code, "status_code": STATUS_OF[code]})


AppNotSubscribed = _coded(ErrorCode.APP_NOT_SUBSCRIBED, "AppNotSubscribed")
FeatureNotInPlan = _coded(ErrorCode.FEATURE_NOT_IN_PLAN, "FeatureNotInPlan")
LimitExceeded = _coded(ErrorCode.LIMIT_EXCEEDED, "LimitExceeded")
Conflict = _coded(ErrorCode.CONFLICT, "Conflict")
PayloadTooLarge = _coded(ErrorCode.PAYLOAD_TOO_LARGE, "PayloadTooLarge")

# DRF's own exceptions, by class, to DotMac codes (first match wins: order matters).
_DRF_CODES = [
    (exceptions.ValidationError, ErrorCode.VALIDATION_ERROR),
    (exceptions.ParseError, ErrorCode.VALIDATION_ERROR),
    (exceptions.NotAuthenticated, ErrorCode.NOT_AUTHENTICATED),
    (exceptions.AuthenticationFailed, ErrorCode.NOT_AUTHENTICATED),
    (exceptions.PermissionDenied, ErrorCode.PERMISSION_DENIED),
    (exceptions.NotFound, ErrorCode.NOT_FOUND),
    (exceptions.MethodNotAllowed, ErrorCode.METHOD_NOT_ALLOWED),
    (exceptions.NotAcceptable, ErrorCode.NOT_ACCEPTABLE),
    (exceptions.UnsupportedMediaType, ErrorCode.UNSUPPORTED_MEDIA_TYPE),
    (exceptions.Throttled, ErrorCode.RATE_LIMITED),
]


def flatten_errors(detail, prefix: str | None = None) -> list[dict]:
    """DRF's nested error detail as a flat list of {field, message} (dotted field paths)."""
    if isinstance(detail, dict):
        items = []
        for key, value in detail.items():
            field = None if key in ("non_field_errors", "__all__") else str(key)
            path = ".".join(p for p in (prefix, field) if p) or None
            items.extend(flatten_errors(value, path))
        return items
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return [{"field": prefix, "message": str(item)} for item in detail]
        items = []
        for index, value in enumerate(detail):
            items.extend(flatten_errors(value, f"{prefix}.{index}" if prefix else str(index)))
        return items
    return [{"field": prefix, "message": str(detail)}]


def _message_of(exc: exceptions.APIException, code: ErrorCode) -> str | None:
    if code == ErrorCode.VALIDATION_ERROR and isinstance(exc, exceptions.ValidationError):
        return None  # the default "Invalid input data"; the specifics go to details
    detail = exc.detail
    if isinstance(detail, dict) and "detail" in detail:  # simplejwt's structured errors
        detail = detail["detail"]
    if isinstance(detail, str):
        return str(detail)
    return None


def envelope_exception_handler(exc, context):
    """DRF EXCEPTION_HANDLER: every exception raised in an API view becomes an error envelope."""
    headers = {}
    if is_outage(exc):  # a data store is down (apps.core.outage)
        logger.error("API view: service unavailable: %s", exc)
        set_rollback()
        return Response(
            error_body(ErrorCode.SERVICE_UNAVAILABLE, OUTAGE_MESSAGE),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    elif isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = PayloadTooLarge(f"The request body is larger than {limit:,} bytes.")
    elif isinstance(exc, SuspiciousOperation):  # too many fields, a malformed header...
        exc = exceptions.ParseError(str(exc) or "Malformed request.")
    elif isinstance(exc, ProtectedError | RestrictedError):
        exc = Conflict("This object is still referenced and cannot be deleted")
    elif isinstance(exc, IntegrityError):
        logger.warning("integrity error answered as conflict: %s", exc)
        exc = Conflict()

    if isinstance(exc, DomainError):
        set_rollback()
        return Response(error_body(exc.code, exc.message, exc.details), status=STATUS_OF[exc.code])
    if isinstance(exc, DotMacAPIException):
        code, details = exc.error_code, exc.details
        message = str(exc.detail)
    elif isinstance(exc, exceptions.APIException):
        code = next((c for cls, c in _DRF_CODES if isinstance(exc, cls)), None)
        if code is None:
            code = (
                ErrorCode.INTERNAL_ERROR if exc.status_code >= 500 else ErrorCode.VALIDATION_ERROR
            )
        details = flatten_errors(exc.detail) if code == ErrorCode.VALIDATION_ERROR else []
        message = _message_of(exc, code)
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None) is not None:
            headers["Retry-After"] = str(int(exc.wait) + 1)
    else:
        logger.exception("unhandled exception in API view", exc_info=exc)
        set_rollback()
        return Response(
            error_body(ErrorCode.INTERNAL_ERROR), status=status.HTTP_500_INTERNAL_SERVER_ERROR
        )

    set_rollback()
    return Response(error_body(code, message, details), status=exc.status_code, headers=headers)

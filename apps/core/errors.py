"""The error envelope of DESIGN.md §4, shared by the API, plain Django views and middleware.

Every 4xx/5xx that DotMac answers to an API client is one of these codes, in this shape:
``{"error": {"code", "message", "details", "request_id"}}``.
"""

from enum import StrEnum

from django.http import JsonResponse

from apps.core.context import current_request_id


class ErrorCode(StrEnum):
    VALIDATION_ERROR = "VALIDATION_ERROR"
    NOT_AUTHENTICATED = "NOT_AUTHENTICATED"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    APP_NOT_SUBSCRIBED = "APP_NOT_SUBSCRIBED"
    FEATURE_NOT_IN_PLAN = "FEATURE_NOT_IN_PLAN"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    NOT_FOUND = "NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    NOT_ACCEPTABLE = "NOT_ACCEPTABLE"
    CONFLICT = "CONFLICT"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    RATE_LIMITED = "RATE_LIMITED"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"


STATUS_OF = {
    ErrorCode.VALIDATION_ERROR: 400,
    ErrorCode.NOT_AUTHENTICATED: 401,
    ErrorCode.PERMISSION_DENIED: 403,
    ErrorCode.APP_NOT_SUBSCRIBED: 403,
    ErrorCode.FEATURE_NOT_IN_PLAN: 403,
    ErrorCode.LIMIT_EXCEEDED: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.NOT_ACCEPTABLE: 406,
    ErrorCode.CONFLICT: 409,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.INTERNAL_ERROR: 500,
    ErrorCode.SERVICE_UNAVAILABLE: 503,
}

DEFAULT_MESSAGE = {
    ErrorCode.VALIDATION_ERROR: "Invalid input data",
    ErrorCode.NOT_AUTHENTICATED: "Authentication credentials were not provided or are invalid",
    ErrorCode.PERMISSION_DENIED: "You do not have permission to perform this action",
    ErrorCode.APP_NOT_SUBSCRIBED: "Your organisation does not subscribe to this app",
    ErrorCode.FEATURE_NOT_IN_PLAN: "This feature is not included in your plan",
    ErrorCode.LIMIT_EXCEEDED: "This would exceed a usage limit of your plan",
    ErrorCode.NOT_FOUND: "Not found",
    ErrorCode.METHOD_NOT_ALLOWED: "Method not allowed",
    ErrorCode.NOT_ACCEPTABLE: "Cannot produce a response in the requested format",
    ErrorCode.CONFLICT: "The request conflicts with the current state of the resource",
    ErrorCode.PAYLOAD_TOO_LARGE: "The request body is too large",
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: "Unsupported media type; send application/json",
    ErrorCode.RATE_LIMITED: "Too many requests",
    ErrorCode.INTERNAL_ERROR: "An unexpected error occurred",
    ErrorCode.SERVICE_UNAVAILABLE: "Service unavailable",
}


def error_body(code: ErrorCode, message: str | None = None, details: list | None = None) -> dict:
    return {
        "error": {
            "code": str(code),
            "message": message or DEFAULT_MESSAGE[code],
            "details": details or [],
            "request_id": current_request_id(),
        }
    }


def error_response(
    code: ErrorCode,
    message: str | None = None,
    details: list | None = None,
    *,
    status: int | None = None,
    headers: dict | None = None,
) -> JsonResponse:
    """A plain Django JSON response carrying the error envelope (for non-DRF code paths)."""
    return JsonResponse(
        error_body(code, message, details), status=status or STATUS_OF[code], headers=headers
    )

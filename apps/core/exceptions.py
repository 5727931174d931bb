"""Business-rule failures raised by services, whatever called them (API, admin, pages, tasks).

The API's exception handler turns each into its error envelope; pages and admin actions show
the message. Services never raise HTTP or DRF exceptions themselves.
"""

from apps.core.errors import DEFAULT_MESSAGE, ErrorCode


class DomainError(Exception):
    code: ErrorCode = ErrorCode.CONFLICT

    def __init__(self, message: str | None = None, details: list | None = None):
        self.message = message or DEFAULT_MESSAGE[self.code]
        self.details = details or []
        super().__init__(self.message)


class ConflictError(DomainError):
    """The request contradicts the current state (an invalid status transition, a duplicate)."""

    code = ErrorCode.CONFLICT


class PermissionDeniedError(DomainError):
    """The acting user may not do this (a rule of the service, e.g. who may give a record to
    someone else)."""

    code = ErrorCode.PERMISSION_DENIED


class AppNotSubscribedError(DomainError):
    code = ErrorCode.APP_NOT_SUBSCRIBED


class FeatureNotInPlanError(DomainError):
    code = ErrorCode.FEATURE_NOT_IN_PLAN


class LimitExceededError(DomainError):
    code = ErrorCode.LIMIT_EXCEEDED

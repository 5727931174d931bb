"""A service's refusal (a DomainError: conflict, licence, permission; or Django's
ValidationError), told the same way wherever it surfaces: one function per surface.

- API: the envelope (apps.core.api.exceptions.envelope_exception_handler): code, message and
  one detail per field message.
- Pages: `page_refusal(request, error)` (a message), or `form_refusal(form, error)` (the field
  errors on the form's fields, the rest above it).
- Admin: `admin_refusal(modeladmin, request, error, doing=...)`.

The message text is the same everywhere: `refusal_text(error)`.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError

from apps.core.exceptions import DomainError

__all__ = ["admin_refusal", "form_refusal", "page_refusal", "refusal_text"]

REFUSALS = (DomainError, ValidationError)


def _label(field: str) -> str:
    return field.replace("_", " ")


def refusal_text(error: Exception) -> str:
    """One line: each field's messages after the field's name, general messages as they are."""
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            parts = []
            for field, errors in error.message_dict.items():
                text = " ".join(errors)
                parts.append(text if field in ("__all__", None) else f"{_label(field)}: {text}")
            return " ".join(parts)
        return " ".join(error.messages)
    if isinstance(error, DomainError):
        return error.message
    return str(error)


def page_refusal(request, error: Exception) -> None:
    messages.error(request, refusal_text(error))


def form_refusal(form, error: Exception) -> None:
    """The refusal on the form: a field's messages on that field (when the form has it), the
    others as errors of the whole form."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            if field in form.fields:
                form.add_error(field, errors)
            else:
                label = "" if field in ("__all__", None) else f"{_label(field)}: "
                form.add_error(None, [f"{label}{message}" for message in errors])
        return
    form.add_error(None, refusal_text(error))


def admin_refusal(modeladmin, request, error: Exception, *, doing: str = "") -> None:
    """`doing` names what was refused ("Could not suspend Ann's service: ...")."""
    prefix = f"Could not {doing}: " if doing else "Not saved: "
    modeladmin.message_user(request, f"{prefix}{refusal_text(error)}", messages.ERROR)

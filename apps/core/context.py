"""Per-request (and per-task) context that logs and error envelopes read.

Context variables rather than thread locals: they follow the request through gthread workers and
are reset per Celery task.
"""

import re
import uuid
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
tenant_var: ContextVar[str] = ContextVar("tenant", default="-")

# An incoming X-Request-ID is reused only when it is plausible: printable, bounded, no spaces.
_WELL_FORMED_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$")


def new_request_id() -> str:
    return f"req_{uuid.uuid4().hex}"


def accept_request_id(incoming: str | None) -> str:
    """Return the caller's request id when well formed, otherwise a fresh one."""
    if incoming and _WELL_FORMED_REQUEST_ID.match(incoming):
        return incoming
    return new_request_id()


def current_request_id() -> str:
    return request_id_var.get()

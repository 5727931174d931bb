"""Per-request (and per-task) context that logs, error envelopes and the audit trail read.

Context variables rather than thread locals: they follow the request through gthread workers and
are reset per Celery task.
"""

import re
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
tenant_var: ContextVar[str] = ContextVar("tenant", default="-")


@dataclass(frozen=True)
class Actor:
    """Who is writing: a user (with its id in the current schema), a task, an API key, …"""

    name: str
    id: int | None = None
    type: str = "system"  # AuditEntry.ActorType: user, api_key, task, anonymous, system


SYSTEM_ACTOR = Actor("system")

#: Set explicitly when the actor is known better than the request's user: a Celery task
#: ("task:<name>"), an API key (BaseViewSet, once DRF has authenticated). None: ask the request.
actor_var: ContextVar[Actor | None] = ContextVar("actor", default=None)
#: The HTTP request being served (None outside requests). Its `user` is read when an audit
#: entry is written, not when the request starts: DRF authenticates a bearer token only inside
#: the view, and writes the user back onto the Django request it wraps.
request_var: ContextVar[Any] = ContextVar("request", default=None)
ip_var: ContextVar[str | None] = ContextVar("ip", default=None)
#: Where a write comes from: api, admin, page, task, or shell (management commands, tests).
source_var: ContextVar[str] = ContextVar("audit_source", default="shell")

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

"""Changes of authorization (RFC 5176): what billing decided, brought to the live sessions.

When a service is activated, suspended, restored, moved to another plan, terminated, slowed down
or topped up, `changes_queue` records, for each of its open sessions, an AuthorizationChange: a
Disconnect (the session must end) or a CoA with the attributes `service_profile` gives the
service now (new speeds, the walled garden). The latest decision is the one that matters: the
session's earlier changes not yet confirmed are superseded.

Each change is sent by a Celery task (`isp.radius_change_send`, after the commit) to the NAS
holding the session, with pyrad: one attempt is one packet with a short timeout.
- ACK: acknowledged.
- CoA NAK: the NAS could not change the session; it is disconnected instead (the subscriber
  reconnects and gets the new profile from authorize).
- Disconnect NAK with Error-Cause 503 (Session-Context-Not-Found): the session is already gone;
  the change is done and the session closed (stale).
- any other Disconnect NAK: failed.
- no answer: sent again after 5, 10, 20, 40, 80 s (settings.RADIUS_COA_BACKOFF doubled), then
  failed. Failed changes show on the staff page of unconfirmed changes, which retries them.
Every attempt's result is on the change (`last_result`) and on the customer's timeline.

A task may be delivered twice, or run next to the sweep's copy: it names the attempt it was sent
for, and runs only while the change (locked) is pending at that attempt. The sweep
(`changes_resend_due`, every minute) sends again what is due but was lost.

Nothing is queued for a tenant without the `isp.radius` feature.
"""

import datetime
import functools
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from pyrad.client import Client, Timeout
from pyrad.dictionary import Dictionary
from pyrad.packet import (
    CoAACK,
    CoARequest,
    DisconnectACK,
    DisconnectRequest,
    PacketError,
)

from apps.core.dispatch import dispatch
from apps.core.exceptions import ConflictError
from apps.core.kit.writes import record_update
from apps.isp.constants import RADIUS
from apps.isp.models import (
    AuthorizationChange,
    Nas,
    NetworkSettings,
    RadiusLogin,
    RadiusSession,
    Service,
    TimelineEvent,
)
from apps.isp.selectors.profiles import service_profile
from apps.isp.selectors.radius import month_start
from apps.isp.services.timeline import timeline_record
from apps.platform.licensing.guards import current_entitlements

__all__ = [
    "SEND_TASK",
    "NasAnswer",
    "change_attempt",
    "change_retry",
    "changes_queue",
    "changes_resend_due",
    "nas_send",
    "radius_dictionary",
]

#: The task sending one attempt (apps/isp/tasks.py), named: tasks sit above services.
SEND_TASK = "isp.radius_change_send"
DICTIONARY = Path(__file__).resolve().parent.parent / "radius" / "dictionary"
#: Error-Cause 503: the NAS holds no such session (RFC 5176 §3.6).
SESSION_CONTEXT_NOT_FOUND = 503
#: A pending change whose attempt is this late had its task lost (the sweep sends it again).
SWEEP_GRACE = datetime.timedelta(seconds=60)
#: Changes the sweep sends again per run, at most.
SWEEP_BATCH = 500

Action, Reason, Status = (
    AuthorizationChange.Action,
    AuthorizationChange.Reason,
    AuthorizationChange.Status,
)


@functools.cache
def radius_dictionary() -> Dictionary:
    return Dictionary(str(DICTIONARY))


def radius_licensed() -> bool:
    return current_entitlements().has_feature(RADIUS)


def _throttled(service: Service) -> bool:
    """Whether the service used up its data cap this month (RadiusLogin.throttled_month)."""
    month = (
        RadiusLogin.objects.filter(service=service)
        .values_list("throttled_month", flat=True)
        .first()
    )
    return month is not None and month == month_start(timezone.localdate())


def _decide(service, session, reason, *, throttled, network) -> tuple[str, dict]:
    """The action and attributes a session of the service gets now."""
    if reason == Reason.TERMINATE:
        return Action.DISCONNECT, {}
    profile = service_profile(
        service, nas_type=session.nas.type, throttled=throttled, settings=network
    )
    if not profile.accept:
        return Action.DISCONNECT, {}
    return Action.COA, dict(profile.reply)


def _schedule(change: AuthorizationChange, countdown: float | None = None) -> None:
    dispatch(SEND_TASK, change.pk, change.attempts, countdown=countdown)


@transaction.atomic
def changes_queue(
    *, service: Service, reason: str, actor=None, throttled: bool | None = None
) -> list[AuthorizationChange]:
    """Queue the change `reason` makes to each open session of the service (called after the
    service's state changed, inside the caller's transaction; sent once it commits). `throttled`
    (fair use) defaults to what the service's login says of this month."""
    if reason not in Reason.values:
        raise ValidationError({"reason": f"Unknown reason '{reason}'."})
    if not radius_licensed():
        return []
    sessions = list(
        RadiusSession.objects.select_related("nas")
        .filter(service=service, status=RadiusSession.Status.OPEN)
        .order_by("pk")
    )
    if not sessions:
        return []
    if throttled is None:
        throttled = _throttled(service)
    network = NetworkSettings.objects.filter(pk=1).first() or NetworkSettings()
    now, made = timezone.now(), []
    for session in sessions:
        action, attributes = _decide(service, session, reason, throttled=throttled, network=network)
        change = AuthorizationChange.objects.create(
            service=service,
            session=session,
            action=action,
            reason=reason,
            attributes=attributes,
            next_attempt_at=now,
        )
        # Only the latest decision matters: what the session was still waiting for (or what
        # failed to reach it) is replaced.
        AuthorizationChange.objects.filter(
            session=session, status__in=[Status.PENDING, Status.FAILED]
        ).exclude(pk=change.pk).update(
            status=Status.SUPERSEDED,
            next_attempt_at=None,
            last_result=f"Superseded by change #{change.pk} ({change.get_reason_display()})",
        )
        _schedule(change)
        made.append(change)
    return made


# --- Sending -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NasAnswer:
    """What the NAS said to one packet: acked, naked (with its Error-Cause) or nothing."""

    outcome: str  # "ack", "nak" or "timeout"
    error_cause: int | None = None
    detail: str = ""


def _typed(name: str, value):
    """A value as pyrad encodes the attribute's type (the maps hold text)."""
    kind = radius_dictionary().attributes[name].type
    if kind in ("integer", "date"):
        return int(value)
    return str(value)


def _error_cause(reply) -> int | None:
    """The reply's Error-Cause as a number: pyrad answers a VALUE's name (whose dictionary entry
    holds the encoded octets) or a number."""
    if "Error-Cause" not in reply:
        return None
    value = reply["Error-Cause"][0]
    if isinstance(value, str):
        value = radius_dictionary().attributes["Error-Cause"].values.GetForward(value)
    if isinstance(value, bytes):
        return int.from_bytes(value[:4], "big")
    return int(value)


def nas_send(*, nas: Nas, code: int, attributes: dict) -> NasAnswer:
    """Send one CoA-Request or Disconnect-Request to the NAS's CoA port and wait
    settings.RADIUS_COA_TIMEOUT seconds for its answer (one packet, no resend here: retries are
    the change's, with back-off)."""
    client = Client(
        server=nas.address,
        coaport=nas.coa_port,
        secret=nas.secret.encode(),
        dict=radius_dictionary(),
        retries=1,
        timeout=settings.RADIUS_COA_TIMEOUT,
    )
    try:
        request = client.CreateCoAPacket(code=code, message_authenticator=True)
        for name, value in attributes.items():
            request[name] = _typed(name, value)
        reply = client.SendPacket(request)
    except Timeout:
        return NasAnswer("timeout", detail="no answer")
    except (OSError, PacketError) as error:
        return NasAnswer("timeout", detail=f"not sent: {error}"[:120])
    finally:
        client._CloseSocket()  # pyrad has no public close; a socket per attempt must not leak
    if reply.code in (CoAACK, DisconnectACK):
        return NasAnswer("ack")
    cause = _error_cause(reply)
    return NasAnswer("nak", cause, "" if cause is None else f"Error-Cause {cause}")


def _request_attributes(change: AuthorizationChange, session: RadiusSession) -> dict:
    """What identifies the session to the NAS (RFC 5176 §3), and for a CoA what changes. An
    attribute the dictionary does not know (a tenant's own map) is left out."""
    known = radius_dictionary().attributes
    wanted = dict(change.attributes) if change.action == Action.COA else {}
    wanted = {name: value for name, value in wanted.items() if name in known}
    identity = {"User-Name": session.username, "Acct-Session-Id": session.session_id}
    if session.framed_ip:
        identity["Framed-IP-Address"] = str(ipaddress.ip_interface(session.framed_ip).ip)
    if ipaddress.ip_address(session.nas.address).version == 4:
        identity["NAS-IP-Address"] = session.nas.address
    return {**wanted, **identity}


def _record(change: AuthorizationChange, service: Service, message: str, actor=None) -> None:
    change.last_result = message[:200]
    timeline_record(
        customer=service.customer,
        kind=TimelineEvent.Kind.NETWORK,
        message=message,
        data={"service": service.pk, "change": change.pk, "session": change.session_id,
              "action": change.action, "status": change.status},
        actor=actor or "radius",
    )  # fmt: skip


def _backoff(attempts: int) -> float:
    return settings.RADIUS_COA_BACKOFF * 2 ** (attempts - 1)


@transaction.atomic
def change_attempt(*, change_id: int, attempt: int) -> AuthorizationChange | None:
    """Make attempt `attempt + 1` of a change (the task's body). Nothing happens unless the
    change is still pending at that attempt: a redelivered or duplicated task is a no-op."""
    change = AuthorizationChange.objects.select_for_update().filter(pk=change_id).first()
    if change is None or change.status != Status.PENDING or change.attempts != attempt:
        return None
    session = RadiusSession.objects.select_related("nas").get(pk=change.session_id)
    service = Service.objects.select_related("customer").get(pk=change.service_id)
    nas, now = session.nas, timezone.now()
    what = change.get_action_display()
    fields = ["status", "attempts", "next_attempt_at", "last_result", "confirmed_at", "action"]
    if session.status != RadiusSession.Status.OPEN:
        change.status, change.confirmed_at, change.next_attempt_at = Status.ACKED, now, None
        _record(change, service, f"{what} not sent: the session on {nas.name} had already ended")
        change.save(update_fields=fields)
        return change
    change.attempts += 1
    code = CoARequest if change.action == Action.COA else DisconnectRequest
    answer = nas_send(nas=nas, code=code, attributes=_request_attributes(change, session))
    cause = f" ({answer.detail})" if answer.detail else ""
    if answer.outcome == "ack":
        change.status, change.confirmed_at, change.next_attempt_at = Status.ACKED, now, None
        _record(change, service, f"{what} acknowledged by {nas.name}")
    elif answer.outcome == "nak" and change.action == Action.COA:
        # The NAS cannot change the session in place: end it, the reconnection is authorized
        # with the new profile.
        change.action, change.next_attempt_at = Action.DISCONNECT, now
        _record(change, service, f"CoA refused by {nas.name}{cause}: disconnecting instead")
        _schedule(change)
    elif answer.outcome == "nak" and answer.error_cause == SESSION_CONTEXT_NOT_FOUND:
        change.status, change.confirmed_at, change.next_attempt_at = Status.ACKED, now, None
        _record(change, service, f"{nas.name} no longer holds the session (Error-Cause 503): "
                                 "it is gone, marked stale")  # fmt: skip
        session.status, session.stopped_at = RadiusSession.Status.STALE, now
        session.terminate_cause = "Session-Context-Not-Found"
        session.save(update_fields=["status", "stopped_at", "terminate_cause"])
    elif answer.outcome == "nak":
        change.status, change.next_attempt_at = Status.FAILED, None
        _record(change, service, f"Disconnect refused by {nas.name}{cause}")
    elif change.attempts >= settings.RADIUS_COA_MAX_ATTEMPTS:
        change.status, change.next_attempt_at = Status.FAILED, None
        _record(change, service, f"{what} to {nas.name} failed: {answer.detail} after "
                                 f"{change.attempts} attempts")  # fmt: skip
    else:
        delay = _backoff(change.attempts)
        change.next_attempt_at = now + datetime.timedelta(seconds=delay)
        _record(change, service, f"{what} to {nas.name}: {answer.detail} (attempt "
                                 f"{change.attempts} of {settings.RADIUS_COA_MAX_ATTEMPTS}), "
                                 f"retrying in {delay:g} s")  # fmt: skip
        _schedule(change, countdown=delay)
    change.save(update_fields=fields)
    return change


@transaction.atomic
def change_retry(*, change: AuthorizationChange, actor=None) -> AuthorizationChange:
    """Staff send a failed change again: pending, its attempts counted afresh, sent now."""
    locked = AuthorizationChange.objects.select_for_update().get(pk=change.pk)
    if locked.status != Status.FAILED:
        raise ConflictError(
            f"Only a failed change can be retried (this one is {locked.get_status_display()})."
        )
    message = f"{locked.get_action_display()} sent again (retry)"
    record_update(
        locked,
        {"status": Status.PENDING, "attempts": 0, "next_attempt_at": timezone.now(),
         "last_result": message},
        actor=actor,
    )  # fmt: skip
    service = Service.objects.select_related("customer").get(pk=locked.service_id)
    _record(locked, service, message, actor=actor)
    _schedule(locked)
    for field in ("status", "attempts", "next_attempt_at", "last_result"):
        setattr(change, field, getattr(locked, field))
    return change


@transaction.atomic
def changes_resend_due(*, now: datetime.datetime | None = None) -> int:
    """Send again the pending changes whose attempt is overdue (their task was lost: a worker
    died, Redis was flushed). Their next attempt moves to now, so the next sweep waits again."""
    now = now or timezone.now()
    due = list(
        AuthorizationChange.objects.select_for_update(skip_locked=True)
        .filter(status=Status.PENDING, next_attempt_at__lte=now - SWEEP_GRACE)
        .order_by("pk")[:SWEEP_BATCH]
    )
    for change in due:
        change.next_attempt_at = now
        change.save(update_fields=["next_attempt_at"])
        _schedule(change)
    return len(due)

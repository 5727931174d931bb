"""RADIUS authorization and accounting: what FreeRADIUS asks about a subscriber, answered from
the service's state and plan, and the sessions and usage its accounting reports.

The tenant comes from the NAS (its source address, signed with its secret: NasRoute and
FreeRADIUS's client check) and, when the user name carries one, from the realm
(`jane@abc-corp`): a realm that is not the NAS's tenant is refused, never looked up elsewhere.

Accounting is idempotent on `Acct-Unique-Session-Id` (FreeRADIUS's acct_unique): the session
row is locked, the counters only move forward, and only what they grew by is added to the day's
usage, so a repeated start, an interim after the stop, a stop replayed after a NAS reboot or
packets out of order never count twice (FreeRADIUS #1871, #5685).
"""

import datetime
import ipaddress
from dataclasses import dataclass, field, replace

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from netaddr import EUI, AddrFormatError

from apps.core.audit import resolve_actor
from apps.core.encryption import decrypt
from apps.core.kit.writes import record_create
from apps.isp.models import (
    DataTopUp,
    LineKind,
    Nas,
    NetworkSettings,
    RadiusLogin,
    RadiusSession,
    Service,
    ServicePlan,
    TimelineEvent,
    UsageDay,
)
from apps.isp.selectors.profiles import login_facts, profile_of
from apps.isp.selectors.radius import GB, month_octets, month_start, month_top_ups_gb
from apps.isp.services.billing import LineDraft, invoice_create
from apps.isp.services.coa import changes_queue
from apps.isp.services.timeline import timeline_record

__all__ = [
    "Decision",
    "PacketError",
    "data_top_up_add",
    "fair_use_check",
    "radius_account",
    "radius_authorize",
    "sessions_close_stale",
]

#: An accounting packet's delay (Acct-Delay-Time) beyond this is taken as this.
MAX_DELAY = datetime.timedelta(days=1)
#: A counter beyond this is not a counter (2^64 octets).
MAX_OCTETS = 2**63 - 1
#: The most one top-up may add.
MAX_TOP_UP_GB = 10_000


class PacketError(ValueError):
    """A packet FreeRADIUS should not have sent us (a missing or malformed attribute)."""


@dataclass(frozen=True)
class Decision:
    accept: bool
    reason: str = ""
    control: dict[str, str] = field(default_factory=dict)
    reply: dict[str, str] = field(default_factory=dict)


def _mac(value: str) -> str | None:
    try:
        return str(EUI(value.strip())) if value else None
    except (AddrFormatError, TypeError, ValueError):
        return None


def _identity(packet: dict[str, str], realm_of_nas: str) -> tuple[str | None, str | None, str]:
    """Who a packet names: `name@realm` (PPPoE; the realm must be the NAS's tenant's), or, with
    no realm, a user name that may be a PPPoE login or a MAC address (IPoE: in User-Name or
    Calling-Station-Id). Returns (user name, MAC, why not)."""
    user = packet.get("User-Name", "")[:253]
    name, at, realm = user.rpartition("@")
    if not at:
        return user.lower(), _mac(user) or _mac(packet.get("Calling-Station-Id", "")), ""
    if realm.lower() != realm_of_nas:
        return None, None, "realm of another organisation"
    return name.lower(), None, ""


def _login(packet: dict[str, str], realm_of_nas: str) -> RadiusLogin | None:
    username, mac, _ = _identity(packet, realm_of_nas)
    logins = RadiusLogin.objects.select_related("service__plan")
    login = logins.filter(kind=RadiusLogin.Kind.PPPOE, username=username).first()
    if login is None and mac is not None:
        login = logins.filter(kind=RadiusLogin.Kind.IPOE, mac=mac).first()
    return login


def radius_authorize(*, nas: Nas, packet: dict[str, str], realm: str) -> Decision:
    """Accept with the plan's attributes, or refuse (pending, suspended without a walled
    garden, terminated, unknown). FreeRADIUS checks the password itself (PAP, CHAP, MS-CHAP)
    against the Cleartext-Password this puts in its control list. One query (login_facts)."""
    username, mac, why = _identity(packet, realm)
    if why:
        return Decision(False, why)
    found = login_facts(username=username, mac=mac, nas_type=nas.type)
    if found is None:
        return Decision(False, "unknown user")
    throttled = found.throttled_month == month_start(timezone.localdate())
    profile = profile_of(replace(found.facts, throttled=throttled))
    if not profile.accept:
        return Decision(False, profile.reason)
    if found.kind == RadiusLogin.Kind.PPPOE:
        password = decrypt(found.password, label="RadiusLogin.password") if found.password else ""
        control = {"Cleartext-Password": password}
    else:
        control = {"Auth-Type": "Accept"}
    return Decision(True, profile.reason, control, profile.reply)


# Accounting ---------------------------------------------------------------------------------


def _number(packet: dict[str, str], name: str) -> int:
    raw = packet.get(name, "0") or "0"
    try:
        value = int(raw)
    except ValueError:
        raise PacketError(f"{name} is not a number.") from None
    if not 0 <= value <= MAX_OCTETS:
        raise PacketError(f"{name} is out of range.")
    return value


def _octets(packet: dict[str, str], direction: str) -> int:
    total = _number(packet, f"Acct-{direction}-Octets") + (
        _number(packet, f"Acct-{direction}-Gigawords") << 32
    )
    return min(total, MAX_OCTETS)


@dataclass(frozen=True)
class _Report:
    status: str
    unique_id: str
    session_id: str
    username: str
    event: datetime.datetime
    session_time: datetime.timedelta
    input_octets: int
    output_octets: int
    framed_ip: str | None
    calling_station: str
    terminate_cause: str


STATUSES = {"Start", "Stop", "Interim-Update", "Alive", "Accounting-On", "Accounting-Off"}


def _report(packet: dict[str, str]) -> _Report:
    status = packet.get("Acct-Status-Type", "")
    if status not in STATUSES:
        raise PacketError(f"Acct-Status-Type {status[:20]!r} is not handled.")
    delay = min(datetime.timedelta(seconds=_number(packet, "Acct-Delay-Time")), MAX_DELAY)
    unique_id = packet.get("Acct-Unique-Session-Id", "")
    if status not in {"Accounting-On", "Accounting-Off"} and not 0 < len(unique_id) <= 48:
        raise PacketError("Acct-Unique-Session-Id is missing or too long.")
    framed_ip = packet.get("Framed-IP-Address") or None
    try:
        framed_ip = str(ipaddress.ip_address(framed_ip)) if framed_ip else None
    except ValueError:
        framed_ip = None  # not an address: not kept
    return _Report(
        status="Interim-Update" if status == "Alive" else status,
        unique_id=unique_id,
        session_id=packet.get("Acct-Session-Id", "")[:64],
        username=packet.get("User-Name", "")[:128],
        event=timezone.now() - delay,
        session_time=datetime.timedelta(
            seconds=min(_number(packet, "Acct-Session-Time"), 10 * 365 * 86400)
        ),
        input_octets=_octets(packet, "Input"),
        output_octets=_octets(packet, "Output"),
        framed_ip=framed_ip,
        calling_station=packet.get("Calling-Station-Id", "")[:64],
        terminate_cause=packet.get("Acct-Terminate-Cause", "")[:40],
    )


def _nas_restarted(nas: Nas, report: _Report) -> int:
    """Accounting-On/Off: the NAS (re)started, so every session it had is over."""
    return RadiusSession.objects.filter(nas=nas, status=RadiusSession.Status.OPEN).update(
        status=RadiusSession.Status.STALE, stopped_at=report.event, terminate_cause="NAS-Reboot"
    )


def _session_locked(unique_id: str) -> RadiusSession | None:
    """The session's row, locked; the columns accounting reads (a raw query: no ORM compiling
    on the hot path)."""
    columns = ", ".join(_LOCKED_COLUMNS)
    rows = RadiusSession.objects.raw(
        f"SELECT {columns} FROM {RadiusSession._meta.db_table}"  # noqa: S608 (our names)
        " WHERE unique_id = %s FOR UPDATE",
        [unique_id],
    )
    return next(iter(rows), None)


_LOCKED_COLUMNS = (
    "id", "unique_id", "service_id", "status", "started_at", "updated_at", "stopped_at",
    "input_octets", "output_octets", "framed_ip", "terminate_cause",
)  # fmt: skip


@transaction.atomic
def radius_account(*, nas: Nas, packet: dict[str, str], realm: str) -> RadiusSession | None:
    """Record one accounting packet. Returns the session it concerned (None for a NAS's
    Accounting-On/Off)."""
    report = _report(packet)
    if report.status in {"Accounting-On", "Accounting-Off"}:
        _nas_restarted(nas, report)
        return None
    session = _session_locked(report.unique_id)
    if session is not None and report.status == "Start" and session.status != "open":
        if report.event <= (session.stopped_at or session.updated_at):
            return session  # a start older than the stop: replayed out of order
        # The NAS reused the id for a new session (its counter restarted): keep the old one
        # under a name of its own.
        session.unique_id = f"{report.unique_id}.{session.pk}"
        session.save(update_fields=["unique_id"])
        session = None
    if session is None:
        session = _session_opened(nas, report, realm)
        if session is None:
            return None  # a concurrent packet opened it first: that one counted
        if report.status == "Start" and session.input_octets == session.output_octets == 0:
            return session  # opened as the start says: nothing to move forward
    elif report.status == "Start" or (
        session.status == RadiusSession.Status.CLOSED and report.status != "Stop"
    ):
        return session  # a repeated start, or an interim after the stop: nothing new
    _advance(session, report)
    return session


_SESSION_COLUMNS = (
    "unique_id", "session_id", "service_id", "nas_id", "username", "framed_ip",
    "calling_station", "status", "started_at", "updated_at", "input_octets", "output_octets",
    "terminate_cause",
)  # fmt: skip


def _session_opened(nas: Nas, report: _Report, realm: str) -> RadiusSession | None:
    """The session's row, inserted (INSERT … ON CONFLICT DO NOTHING: a concurrent packet of the
    same session may have inserted it first, and then that one's row is taken, locked)."""
    username, mac, why = _identity({"User-Name": report.username}, realm)
    found = None if why else login_facts(username=username, mac=mac, nas_type=nas.type)
    started = report.event - report.session_time if report.status != "Start" else report.event
    session = RadiusSession(
        unique_id=report.unique_id, session_id=report.session_id,
        service_id=found.service_id if found else None, nas_id=nas.pk,
        username=report.username, framed_ip=report.framed_ip,
        calling_station=report.calling_station, status=RadiusSession.Status.OPEN,
        started_at=started, updated_at=started,
    )  # fmt: skip
    table = RadiusSession._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(_SESSION_COLUMNS)})"  # noqa: S608 (our names)
            f" VALUES ({', '.join(['%s'] * len(_SESSION_COLUMNS))})"
            " ON CONFLICT (unique_id) DO NOTHING RETURNING id",
            [getattr(session, column) for column in _SESSION_COLUMNS],
        )
        row = cursor.fetchone()
    if row is None:
        session = RadiusSession.objects.select_for_update().get(unique_id=report.unique_id)
        return session if report.status != "Start" else None
    session.pk = row[0]
    return session


#: The session's new state, the day's usage and whether fair use may change, in one statement.
_ADVANCE = """
WITH session AS (
    UPDATE {sessions} SET input_octets = %(input)s, output_octets = %(output)s,
        updated_at = %(updated)s, framed_ip = %(ip)s, stopped_at = %(stopped)s,
        status = %(status)s, terminate_cause = %(cause)s
    WHERE id = %(id)s
), usage AS (
    INSERT INTO {usage} (service_id, day, input_octets, output_octets)
    SELECT %(service)s, %(day)s, %(grew_in)s, %(grew_out)s WHERE %(counts)s
    ON CONFLICT (service_id, day) DO UPDATE SET
        input_octets = {usage}.input_octets + EXCLUDED.input_octets,
        output_octets = {usage}.output_octets + EXCLUDED.output_octets
)
SELECT (p.data_cap_gb IS NOT NULL AND (p.fup_download_kbps IS NOT NULL
        OR p.fup_upload_kbps IS NOT NULL)) OR l.throttled_month IS NOT NULL
FROM {logins} l JOIN {services} s ON s.id = l.service_id JOIN {plans} p ON p.id = s.plan_id
WHERE %(counts)s AND l.service_id = %(service)s
"""


def _advance(session: RadiusSession, report: _Report) -> None:
    """Move the session's counters forward to the report's (never back) and add what they grew
    by to the day's usage; a stop closes it. Fair use is checked when the usage grew on a plan
    that slows down (or of a service slowed down now)."""
    grew_in = max(0, report.input_octets - session.input_octets)
    grew_out = max(0, report.output_octets - session.output_octets)
    session.input_octets += grew_in
    session.output_octets += grew_out
    session.updated_at = max(session.updated_at, report.event)
    if report.framed_ip:
        session.framed_ip = report.framed_ip
    if report.status == "Stop":
        if session.status != RadiusSession.Status.CLOSED or session.stopped_at is None:
            session.stopped_at = report.event
        session.status = RadiusSession.Status.CLOSED
        session.terminate_cause = report.terminate_cause or session.terminate_cause
    elif session.status == RadiusSession.Status.STALE:
        # Closed for silence, yet it reports: it is alive after all.
        session.status, session.stopped_at, session.terminate_cause = "open", None, ""
    counts = session.service_id is not None and bool(grew_in or grew_out)
    tables = {"sessions": RadiusSession._meta.db_table, "usage": UsageDay._meta.db_table,
              "logins": RadiusLogin._meta.db_table, "services": Service._meta.db_table,
              "plans": ServicePlan._meta.db_table}  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            _ADVANCE.format(**tables),
            {
                "id": session.pk, "input": session.input_octets, "output": session.output_octets,
                "updated": session.updated_at, "stopped": session.stopped_at,
                "ip": str(session.framed_ip) if session.framed_ip else None,
                "status": session.status, "cause": session.terminate_cause,
                "service": session.service_id, "day": timezone.localdate(report.event),
                "grew_in": grew_in, "grew_out": grew_out, "counts": counts,
            },
        )  # fmt: skip
        row = cursor.fetchone()
    if row and row[0]:
        fair_use_check(service_id=session.service_id, actor="radius")


def sessions_close_stale(*, now: datetime.datetime | None = None) -> int:
    """Close the open sessions that have not reported for the tenant's stale period (the NAS
    lost them without a stop: a power cut, a lost packet)."""
    settings = NetworkSettings.objects.filter(pk=1).first() or NetworkSettings()
    cutoff = (now or timezone.now()) - datetime.timedelta(minutes=settings.stale_session_minutes)
    stale = RadiusSession.objects.filter(status=RadiusSession.Status.OPEN, updated_at__lt=cutoff)
    return stale.update(
        status=RadiusSession.Status.STALE,
        stopped_at=F("updated_at"),
        terminate_cause="Stale",
    )


# Fair use -----------------------------------------------------------------------------------


def _slows_down(plan) -> bool:
    return plan.data_cap_gb is not None and bool(plan.fup_download_kbps or plan.fup_upload_kbps)


def fair_use_check(*, service_id: int, actor=None) -> str | None:
    """Compare the month's usage with its allowance, on each accounting update that counted
    (not in a batch): a service that used its allowance up is slowed down, one whose allowance
    grew again (a top-up, a new month) is not. Returns the change made (AuthorizationChange
    reason `fair_use` or `top_up`), None when nothing changed."""
    login = (
        RadiusLogin.objects.select_for_update()
        .select_related("service__plan", "service__customer")
        .filter(service_id=service_id)
        .first()
    )
    if login is None:
        return None
    service, month = login.service, month_start(timezone.localdate())
    over = False
    if _slows_down(service.plan):
        allowance = service.plan.data_cap_gb + month_top_ups_gb(service_id, month)
        over = month_octets(service_id, month) >= allowance * GB
    if over == (login.throttled_month == month):
        return None
    login.throttled_month = month if over else None
    login.save(update_fields=["throttled_month", "updated_at"])
    if over:
        message = f"Data cap of {service.plan.data_cap_gb} GB used up: slowed down (fair use)"
    else:
        message = "Full speed again (fair use: allowance not used up)"
    timeline_record(
        customer=service.customer, kind=TimelineEvent.Kind.NETWORK, message=message,
        data={"service": service.pk, "month": month.isoformat()}, actor=actor,
    )  # fmt: skip
    reason = "fair_use" if over else "top_up"
    # The live sessions get their new speed by CoA once this commits (apps.isp.services.coa).
    changes_queue(service=service, reason=reason, actor=actor, throttled=over)
    return reason


@transaction.atomic
def data_top_up_add(*, service: Service, gigabytes: int, actor=None, charge: bool = True):
    """Extra data for this month: invoiced at the plan's top-up price (when `charge` and the
    plan sells top-ups; staff may grant one free with charge=False), then the slow-down is
    lifted if the new allowance covers the month's usage."""
    plan = service.plan
    if plan.data_cap_gb is None:
        raise ValidationError({"service": "The service's plan has no data cap to top up."})
    if service.status != Service.Status.ACTIVE:
        raise ValidationError({"service": "Only an active service can be topped up."})
    if not 1 <= gigabytes <= MAX_TOP_UP_GB:
        raise ValidationError({"gigabytes": f"Top up 1 to {MAX_TOP_UP_GB} GB at a time."})
    if charge and plan.top_up_price_per_gb is None:
        raise ValidationError({"service": "The service's plan does not sell top-ups."})
    month = month_start(timezone.localdate())
    top_up = record_create(
        DataTopUp(service=service, gigabytes=gigabytes, month=month,
                  actor=resolve_actor(actor).name[:150]),
        actor=actor,
    )  # fmt: skip
    if charge and plan.top_up_price_per_gb:
        invoice_create(
            customer=service.customer,
            lines=[
                LineDraft(
                    kind=LineKind.ADJUSTMENT,
                    description=f"Data top-up: {gigabytes} GB for {month:%B %Y}",
                    amount=plan.top_up_price_per_gb * gigabytes,
                    tax_rate=plan.tax_class.rate,
                    service=service,
                )
            ],
            actor=actor,
        )
    timeline_record(
        customer=service.customer, kind=TimelineEvent.Kind.NETWORK,
        message=f"Topped up {gigabytes} GB for {month:%B %Y}",
        data={"service": service.pk, "top_up": top_up.pk}, actor=actor,
    )  # fmt: skip
    fair_use_check(service_id=service.pk, actor=actor)
    return top_up

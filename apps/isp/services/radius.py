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
from apps.isp.selectors.profiles import LOGIN_MATCH, login_facts, profile_of
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


def radius_account(*, nas: Nas, packet: dict[str, str], realm: str) -> int | None:
    """Record one accounting packet. Returns the id of the session it concerned (None for a
    NAS's Accounting-On/Off, or a packet that changed nothing).

    The common packets are one statement each, committed on its own (no transaction around
    it): a Start inserts its session, an Interim or a Stop advances it (locks the row, moves it
    forward, counts the day's usage). The rest (a session the NAS never started, a Start of a
    known session) takes a step more; any step may be repeated: a NAS that got no answer sends
    the packet again, and nothing is counted twice."""
    report = _report(packet)
    if report.status in {"Accounting-On", "Accounting-Off"}:
        _nas_restarted(nas, report)
        return None
    if report.status == "Start":
        opened = _session_inserted(nas, report, realm)
        if opened is None:
            return _start_again(nas, report, realm)
        if report.input_octets or report.output_octets:
            _advanced(report)  # a start that reports usage already: counted as an interim
        return opened
    advanced = _advanced(report)
    if advanced is None and _session_inserted(nas, report, realm) is not None:
        advanced = _advanced(report)  # no start was seen: opened now, counted from zero
    return advanced


_SESSION_COLUMNS = (
    "unique_id", "session_id", "nas_id", "username", "framed_ip", "calling_station", "status",
    "started_at", "updated_at", "input_octets", "output_octets", "terminate_cause",
)  # fmt: skip

#: A new session's row, tied to the service of the login it names, unless the NAS sent it
#: before (ON CONFLICT DO NOTHING: then no id comes back).
_INSERT = """
INSERT INTO {{sessions}} ({columns}, service_id)
VALUES ({values}, (SELECT l.service_id FROM {{logins}} l WHERE {{match}}))
ON CONFLICT (unique_id) DO NOTHING RETURNING id
""".format(
    columns=", ".join(_SESSION_COLUMNS),
    values=", ".join(f"%(v_{column})s" for column in _SESSION_COLUMNS),
)


def _session_inserted(nas: Nas, report: _Report, realm: str) -> int | None:
    """The id of the session's row, inserted as the packet opens it (a Start, or the first
    packet seen of a session whose start was lost: started its Acct-Session-Time ago), or None
    when the row exists already."""
    username, mac, why = _identity({"User-Name": report.username}, realm)
    started = report.event - report.session_time if report.status != "Start" else report.event
    row = {
        "unique_id": report.unique_id, "session_id": report.session_id, "nas_id": nas.pk,
        "username": report.username, "framed_ip": report.framed_ip,
        "calling_station": report.calling_station, "status": RadiusSession.Status.OPEN,
        "started_at": started, "updated_at": started, "input_octets": 0, "output_octets": 0,
        "terminate_cause": "",
    }  # fmt: skip
    values = {f"v_{column}": value for column, value in row.items()}
    # A realm of another organisation: tied to no service (no login is looked up).
    values.update(username=None if why else username, mac=None if why else mac)
    with connection.prepared_cursor() as cursor:
        cursor.execute(_INSERT.format(**_tables(), match=LOGIN_MATCH), values)
        inserted = cursor.fetchone()
    return inserted[0] if inserted else None


@transaction.atomic
def _start_again(nas: Nas, report: _Report, realm: str) -> int | None:
    """A Start of a session already known: repeated (or older than its stop, replayed out of
    order), nothing new; or, when the session is over and the start newer, the NAS reused the
    id for a new session (its counter restarted): the old one is kept under a name of its own
    and the new one opened."""
    session = (
        RadiusSession.objects.select_for_update()
        .only("pk", "status", "stopped_at", "updated_at")
        .filter(unique_id=report.unique_id)
        .first()
    )
    if session is None or session.status == RadiusSession.Status.OPEN:
        return None
    if report.event <= (session.stopped_at or session.updated_at):
        return None
    RadiusSession.objects.filter(pk=session.pk).update(unique_id=f"{report.unique_id}.{session.pk}")
    return _session_inserted(nas, report, realm)


#: A session moved forward by an Interim or a Stop, in one statement: its row locked, the
#: counters only ever raised (an older packet changes nothing), what they grew by added to the
#: day's usage, and whether fair use may change (the usage grew on a plan that slows down, or
#: of a service slowed down now). An interim after the stop finds no row to update.
#: (`UPDATE … FROM (SELECT … FOR UPDATE)`: the old counters, read under the row's lock.)
_ADVANCE = """
WITH old AS (
    SELECT id, status, stopped_at, updated_at, input_octets, output_octets, terminate_cause
    FROM {sessions} WHERE unique_id = %(unique_id)s FOR UPDATE
), session AS (
    UPDATE {sessions} s SET
        input_octets = GREATEST(old.input_octets, %(input)s),
        output_octets = GREATEST(old.output_octets, %(output)s),
        updated_at = GREATEST(old.updated_at, %(event)s),
        framed_ip = COALESCE(%(ip)s::inet, s.framed_ip),
        status = CASE WHEN %(stop)s THEN 'closed' ELSE 'open' END,
        stopped_at = CASE
            WHEN NOT %(stop)s THEN NULL  -- an interim: still open, or open again if stale
            WHEN old.status <> 'closed' OR old.stopped_at IS NULL THEN %(event)s
            ELSE old.stopped_at END,
        terminate_cause = CASE
            WHEN %(stop)s THEN COALESCE(NULLIF(%(cause)s, ''), old.terminate_cause)
            ELSE '' END
    FROM old WHERE s.id = old.id AND (%(stop)s OR old.status <> 'closed')
    RETURNING s.id, s.service_id, GREATEST(0, %(input)s - old.input_octets) AS grew_in,
        GREATEST(0, %(output)s - old.output_octets) AS grew_out
), counted AS (
    SELECT * FROM session WHERE service_id IS NOT NULL AND (grew_in > 0 OR grew_out > 0)
), usage AS (
    INSERT INTO {usage} (service_id, day, input_octets, output_octets)
    SELECT service_id, %(day)s, grew_in, grew_out FROM counted
    ON CONFLICT (service_id, day) DO UPDATE SET
        input_octets = {usage}.input_octets + EXCLUDED.input_octets,
        output_octets = {usage}.output_octets + EXCLUDED.output_octets
)
SELECT session.id, session.service_id, EXISTS (
    SELECT FROM counted JOIN {logins} l ON l.service_id = counted.service_id
    JOIN {services} v ON v.id = l.service_id JOIN {plans} p ON p.id = v.plan_id
    WHERE (p.data_cap_gb IS NOT NULL
           AND (p.fup_download_kbps IS NOT NULL OR p.fup_upload_kbps IS NOT NULL))
       OR l.throttled_month IS NOT NULL)
FROM session
"""


def _tables() -> dict[str, str]:
    return {"sessions": RadiusSession._meta.db_table, "usage": UsageDay._meta.db_table,
            "logins": RadiusLogin._meta.db_table, "services": Service._meta.db_table,
            "plans": ServicePlan._meta.db_table}  # fmt: skip


def _advanced(report: _Report) -> int | None:
    """The session moved forward by the report (a stop closes it; an interim opens a stale one
    again: closed for silence, yet it reports), its id; None when there is no session, or the
    packet is an interim after the stop."""
    stop = report.status == "Stop"
    with connection.prepared_cursor() as cursor:
        cursor.execute(
            _ADVANCE.format(**_tables()),
            {
                "unique_id": report.unique_id, "input": report.input_octets,
                "output": report.output_octets, "event": report.event, "ip": report.framed_ip,
                "stop": stop, "cause": report.terminate_cause,
                "day": timezone.localdate(report.event),
            },
        )  # fmt: skip
        row = cursor.fetchone()
    if row is None:
        return None
    session_id, service_id, fair_use_may_change = row
    if fair_use_may_change:
        with transaction.atomic():
            fair_use_check(service_id=service_id, actor="radius")
    return session_id


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

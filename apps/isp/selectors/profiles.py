"""What a session of a service gets from the NAS: its speeds, as the attributes each NAS type
understands (the tenant's attribute map, else the built-in one), its static address, and for a
suspended service the walled garden. One function answers for the Access-Accept and for the CoA
that changes a live session, so the two never disagree."""

import datetime
import ipaddress
from dataclasses import dataclass

from django.db import connection

from apps.isp.models import (
    IPAddress,
    NasAttribute,
    NasType,
    NetworkSettings,
    RadiusLogin,
    Service,
    ServicePlan,
)

__all__ = [
    "BUILTIN_MAPS",
    "LOGIN_MATCH",
    "LoginFacts",
    "Profile",
    "ProfileFacts",
    "TEMPLATE_FIELDS",
    "login_facts",
    "profile_of",
    "render_value",
    "service_profile",
]

#: The speeds a value template may use.
TEMPLATE_FIELDS = ("down_kbps", "up_kbps", "down_bps", "up_bps")

#: The attribute map of a NAS type the tenant has not mapped itself. MikroTik's rate limit is
#: rx/tx as the router sees it: the subscriber's upload, then download.
BUILTIN_MAPS: dict[str, dict[str, str]] = {
    NasType.MIKROTIK: {"Mikrotik-Rate-Limit": "{up_kbps}k/{down_kbps}k"},
    NasType.CISCO: {
        "Cisco-AVPair": "subscriber:sub-qos-policy-out=rate-{down_kbps}k",
    },
    NasType.JUNIPER: {
        "ERX-Ingress-Policy-Name": "up-{up_kbps}k",
        "ERX-Egress-Policy-Name": "down-{down_kbps}k",
    },
    NasType.OTHER: {
        "WISPr-Bandwidth-Max-Down": "{down_bps}",
        "WISPr-Bandwidth-Max-Up": "{up_bps}",
    },
}

#: The walled-garden pool of a tenant that never saved its network settings.
POOL_DEFAULT = NetworkSettings._meta.get_field("walled_garden_pool").default

#: How often the NAS reports a session (seconds): fair use is checked on each report.
INTERIM_INTERVAL = 300


def render_value(template: str, *, down_kbps: int, up_kbps: int) -> str:
    """A value template filled in (`{down_kbps}` and friends). A template naming anything else
    is refused when the map is saved (apps.isp.services.radius), so this cannot fail here."""
    return template.format(
        down_kbps=down_kbps, up_kbps=up_kbps, down_bps=down_kbps * 1000, up_bps=up_kbps * 1000
    )


def _map_or_builtin(own: dict[str, str] | None, nas_type: str) -> dict[str, str]:
    """The tenant's own map of the NAS type, else the built-in one."""
    return own or BUILTIN_MAPS.get(nas_type, BUILTIN_MAPS[NasType.OTHER])


def attribute_map(nas_type: str) -> dict[str, str]:
    own = dict(NasAttribute.objects.filter(nas_type=nas_type).values_list("attribute", "value"))
    return _map_or_builtin(own, nas_type)


@dataclass(frozen=True)
class Profile:
    """A service's answer: accepted or not, and with what."""

    accept: bool
    reply: dict[str, str]
    reason: str = ""  # why it was rejected or walled in (logs, the service's timeline)
    walled: bool = False


@dataclass(frozen=True)
class ProfileFacts:
    """What a service's answer depends on, however it was read (the ORM for a CoA, one query
    for an Access-Request: `login_facts`)."""

    status: str
    download_mbps: int
    upload_mbps: int
    fup_download_kbps: int | None
    fup_upload_kbps: int | None
    suspended_access: str
    walled_garden_pool: str
    attributes: dict[str, str]  # the NAS type's map (the tenant's own, else built in)
    static_address: str | None
    throttled: bool


def profile_of(facts: ProfileFacts) -> Profile:
    """The reply attributes of a service's session, or why it is refused: pending and
    terminated services are rejected; a suspended one is rejected or put in the walled-garden
    pool, as the tenant's network settings say."""
    if facts.status == Service.Status.PENDING:
        return Profile(False, {}, "service not active yet")
    if facts.status == Service.Status.TERMINATED:
        return Profile(False, {}, "service terminated")
    if facts.status == Service.Status.SUSPENDED:
        if facts.suspended_access != NetworkSettings.SuspendedAccess.WALLED_GARDEN:
            return Profile(False, {}, "service suspended")
        return Profile(
            True,
            {
                "Framed-Pool": facts.walled_garden_pool,
                "Acct-Interim-Interval": str(INTERIM_INTERVAL),
            },
            "service suspended: walled garden",
            walled=True,
        )
    down, up = facts.download_mbps * 1000, facts.upload_mbps * 1000
    if facts.throttled and facts.fup_download_kbps:
        down = min(down, facts.fup_download_kbps)
    if facts.throttled and facts.fup_upload_kbps:
        up = min(up, facts.fup_upload_kbps)
    reply = {
        attribute: render_value(template, down_kbps=down, up_kbps=up)
        for attribute, template in facts.attributes.items()
    }
    reply["Acct-Interim-Interval"] = str(INTERIM_INTERVAL)
    if facts.static_address is not None:
        reply["Framed-IP-Address"] = facts.static_address
    return Profile(True, reply, "fair use: slowed down" if facts.throttled else "")


def _static_address(service: Service) -> str | None:
    """The service's IPv4 address from IPAM (a static plan's, given at activation)."""
    addresses = IPAddress.objects.filter(service=service, status=IPAddress.Status.ACTIVE)
    for address in addresses.values_list("address", flat=True).order_by("address"):
        if ipaddress.ip_interface(address).version == 4:
            return str(ipaddress.ip_interface(address).ip)
    return None


def service_profile(
    service: Service, *, nas_type: str, throttled: bool = False, settings=None
) -> Profile:
    """`profile_of` a service read through the ORM (CoA)."""
    settings = settings or NetworkSettings.objects.filter(pk=1).first() or NetworkSettings()
    plan = service.plan
    return profile_of(
        ProfileFacts(
            status=service.status,
            download_mbps=plan.download_mbps,
            upload_mbps=plan.upload_mbps,
            fup_download_kbps=plan.fup_download_kbps,
            fup_upload_kbps=plan.fup_upload_kbps,
            suspended_access=settings.suspended_access,
            walled_garden_pool=settings.walled_garden_pool,
            attributes=attribute_map(nas_type) if service.status == "active" else {},
            static_address=_static_address(service) if service.status == "active" else None,
            throttled=throttled,
        )
    )


@dataclass(frozen=True)
class LoginFacts:
    kind: str
    password: str  # encrypted (apps.core.encryption); PPPoE only
    throttled_month: datetime.date | None
    service_id: int
    facts: ProfileFacts


#: The login a packet names, as the tail of a query on the logins (`l`; parameters `username`
#: and `mac`): the PPPoE login of that user name, else the IPoE login of that MAC address.
LOGIN_MATCH = """(l.kind = 'pppoe' AND l.username = %(username)s)
   OR (l.kind = 'ipoe' AND l.mac = %(mac)s)
ORDER BY l.kind = 'pppoe' DESC LIMIT 1"""


def _login_query() -> str:
    tables = {
        "login": RadiusLogin._meta.db_table,
        "service": Service._meta.db_table,
        "plan": ServicePlan._meta.db_table,
        "address": IPAddress._meta.db_table,
        "settings": NetworkSettings._meta.db_table,
        "map": NasAttribute._meta.db_table,
    }
    return """
SELECT l.kind, l.password, l.throttled_month, s.id, s.status, p.download_mbps, p.upload_mbps,
       p.fup_download_kbps, p.fup_upload_kbps,
       (SELECT host(a.address) FROM {address} a WHERE a.service_id = s.id AND a.status = 'active'
        AND family(a.address) = 4 ORDER BY a.address LIMIT 1),
       (SELECT json_build_array(n.suspended_access, n.walled_garden_pool) FROM {settings} n
        WHERE n.id = 1),
       (SELECT json_object_agg(m.attribute, m.value) FROM {map} m WHERE m.nas_type = %(type)s)
FROM {login} l JOIN {service} s ON s.id = l.service_id JOIN {plan} p ON p.id = s.plan_id
WHERE {match}
""".format(match=LOGIN_MATCH, **tables)  # noqa: S608 (our own table names)


def login_facts(*, username: str | None, mac: str | None, nas_type: str) -> LoginFacts | None:
    """A login (PPPoE by user name, else IPoE by MAC) and its service's profile facts, in one
    query: what an Access-Request costs (benchmarks/radius.py)."""
    with connection.prepared_cursor() as cursor:
        cursor.execute(_login_query(), {"username": username, "mac": mac, "type": nas_type})
        row = cursor.fetchone()
    if row is None:
        return None
    kind, password, throttled_month, service_id, status, down, up, fup_down, fup_up = row[:9]
    address, settings, own_map = row[9:]
    suspended_access, pool = settings or (NetworkSettings.SuspendedAccess.REJECT, POOL_DEFAULT)
    return LoginFacts(
        kind=kind,
        password=password,
        throttled_month=throttled_month,
        service_id=service_id,
        facts=ProfileFacts(
            status=status, download_mbps=down, upload_mbps=up, fup_download_kbps=fup_down,
            fup_upload_kbps=fup_up, suspended_access=suspended_access, walled_garden_pool=pool,
            attributes=_map_or_builtin(own_map, nas_type),
            static_address=address, throttled=False,
        ),
    )  # fmt: skip

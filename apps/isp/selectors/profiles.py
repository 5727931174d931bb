"""What a session of a service gets from the NAS: its speeds, as the attributes each NAS type
understands (the tenant's attribute map, else the built-in one), its static address, and for a
suspended service the walled garden. One function answers for the Access-Accept and for the CoA
that changes a live session, so the two never disagree."""

import ipaddress
from dataclasses import dataclass

from apps.isp.models import IPAddress, NasAttribute, NasType, NetworkSettings, Service

__all__ = ["BUILTIN_MAPS", "Profile", "TEMPLATE_FIELDS", "render_value", "service_profile"]

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

#: How often the NAS reports a session (seconds): fair use is checked on each report.
INTERIM_INTERVAL = 300


def render_value(template: str, *, down_kbps: int, up_kbps: int) -> str:
    """A value template filled in (`{down_kbps}` and friends). A template naming anything else
    is refused when the map is saved (apps.isp.services.radius), so this cannot fail here."""
    return template.format(
        down_kbps=down_kbps, up_kbps=up_kbps, down_bps=down_kbps * 1000, up_bps=up_kbps * 1000
    )


def attribute_map(nas_type: str) -> dict[str, str]:
    own = dict(NasAttribute.objects.filter(nas_type=nas_type).values_list("attribute", "value"))
    return own or BUILTIN_MAPS.get(nas_type, BUILTIN_MAPS[NasType.OTHER])


@dataclass(frozen=True)
class Profile:
    """A service's answer: accepted or not, and with what."""

    accept: bool
    reply: dict[str, str]
    reason: str = ""  # why it was rejected or walled in (logs, the service's timeline)
    walled: bool = False


def _speeds(service: Service, throttled: bool) -> tuple[int, int]:
    plan = service.plan
    down, up = plan.download_mbps * 1000, plan.upload_mbps * 1000
    if throttled and plan.fup_download_kbps:
        down = min(down, plan.fup_download_kbps)
    if throttled and plan.fup_upload_kbps:
        up = min(up, plan.fup_upload_kbps)
    return down, up


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
    """The reply attributes of a service's session on a NAS of the given type, or why it is
    refused: pending and terminated services are rejected; a suspended one is rejected or put
    in the walled-garden pool, as the tenant's network settings say."""
    status = service.status
    if status == Service.Status.PENDING:
        return Profile(False, {}, "service not active yet")
    if status == Service.Status.TERMINATED:
        return Profile(False, {}, "service terminated")
    settings = settings or NetworkSettings.objects.filter(pk=1).first() or NetworkSettings()
    if status == Service.Status.SUSPENDED:
        if settings.suspended_access != NetworkSettings.SuspendedAccess.WALLED_GARDEN:
            return Profile(False, {}, "service suspended")
        return Profile(
            True,
            {
                "Framed-Pool": settings.walled_garden_pool,
                "Acct-Interim-Interval": str(INTERIM_INTERVAL),
            },
            "service suspended: walled garden",
            walled=True,
        )
    down, up = _speeds(service, throttled)
    reply = {
        attribute: render_value(template, down_kbps=down, up_kbps=up)
        for attribute, template in attribute_map(nas_type).items()
    }
    reply["Acct-Interim-Interval"] = str(INTERIM_INTERVAL)
    address = _static_address(service)
    if address is not None:
        reply["Framed-IP-Address"] = address
    return Profile(True, reply, "fair use: slowed down" if throttled else "")

"""The HTTP side of FreeRADIUS's rlm_rest: three calls, answered by a plain WSGI handler mounted
ahead of Django's (dotmac/wsgi.py), so that an Access-Request costs its queries and little else
(no middleware stack, no sessions, no templates: FreeRADIUS is the only client).

- `GET  /_radius/client?address=A`: the dynamic client of a NAS address (its secret and a short
  name `schema:nas_id:type` that FreeRADIUS sends back with each packet of that client), or 404.
- `POST /_radius/authorize?nas=schema:nas_id:type`: the request's attributes (rlm_rest's JSON body)
  → 200 with control and reply attributes, or 401 (Access-Reject).
- `POST /_radius/accounting?nas=schema:nas_id:type` → 204 once recorded.

FreeRADIUS signs in with HTTP basic auth, password RADIUS_API_TOKEN. A NAS's short name is only
ever written by `client` from the NasRoute the packet's source address matched, after the
packet's signature checked out against that NAS's secret: the tenant is the NAS's, and a realm
naming another tenant is refused (apps.isp.services.radius).
"""

import base64
import hmac
import json
import logging
from urllib.parse import parse_qs

from django.conf import settings
from django.db import close_old_connections, connection

from apps.core.localcache import tenancy_cache
from apps.isp.constants import APP_KEY, RADIUS
from apps.isp.models import Nas, NasType
from apps.isp.services.radius import PacketError, radius_account, radius_authorize
from apps.platform.licensing.entitlements import entitlements_for
from apps.platform.tenants.models import NasRoute, Tenant

__all__ = ["PREFIX", "mount"]

logger = logging.getLogger(__name__)

PREFIX = "/_radius/"
#: An Access-Request or accounting packet is at most 4 KiB; its JSON form a few times that.
MAX_BODY = 64 * 1024


class _Refusal(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def _tenant(schema: str) -> Tenant | None:
    def load():
        connection.set_schema_to_public()
        return Tenant.objects.filter(schema_name=schema).first()

    return tenancy_cache.get_or_load(("schema", schema), load)


def _authenticated(environ) -> bool:
    header = environ.get("HTTP_AUTHORIZATION", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        _, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return False
    return hmac.compare_digest(password.encode(), settings.RADIUS_API_TOKEN.encode())


def _read_chunked(stream) -> bytes:
    """A chunked body, up to the bound and one byte more (gunicorn's reader answers a
    `read(n)` only once it has n bytes or the body ended: read line by line instead)."""
    raw = b""
    while len(raw) <= MAX_BODY:
        line = stream.readline(MAX_BODY + 1 - len(raw))
        if not line:
            break
        raw += line
    return raw


def _packet(environ) -> dict[str, str]:
    """rlm_rest's JSON body ({"User-Name": {"type": "string", "value": ["jane"]}, ...}) as
    attribute → first value."""
    if environ.get("CONTENT_LENGTH"):
        try:
            length = int(environ["CONTENT_LENGTH"])
        except ValueError:
            length = -1
        raw = environ["wsgi.input"].read(length) if 0 < length <= MAX_BODY else b""
    else:  # chunked (rlm_rest's default for JSON bodies): read up to the bound and one more
        raw = _read_chunked(environ["wsgi.input"])
    if not 0 < len(raw) <= MAX_BODY:
        raise _Refusal(400, f"The body must be 1 to {MAX_BODY} bytes of JSON.")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise _Refusal(400, "The body is not JSON.") from None
    if not isinstance(body, dict):
        raise _Refusal(400, "The body is not a JSON object.")
    packet = {}
    for name, item in body.items():
        values = item.get("value") if isinstance(item, dict) else item
        value = values[0] if isinstance(values, list) and values else values
        if isinstance(value, str | int):
            packet[str(name)] = str(value)
    return packet


def _nas(query: dict[str, list[str]]) -> tuple[Tenant, Nas]:
    """The NAS a packet came from, as its short name (`schema:id:type`, written by `_client`)
    says, with the checks that its tenant may use RADIUS. No query: a NAS removed in DotMac
    is served until FreeRADIUS asks for its client again (CLIENT_LIFETIME)."""
    schema, nas_id, nas_type = ((query.get("nas") or [""])[0].split(":") + ["", ""])[:3]
    tenant = _tenant(schema) if schema and nas_id.isdigit() else None
    if tenant is None or tenant.schema_name == settings.PUBLIC_SCHEMA_NAME:
        raise _Refusal(404, "Unknown NAS.")
    if nas_type not in NasType.values:
        raise _Refusal(404, "Unknown NAS type.")
    if tenant.status != Tenant.Status.ACTIVE:
        raise _Refusal(401, "The organisation is not active.")
    entitlements = entitlements_for(tenant.schema_name)
    if not (entitlements.has_app(APP_KEY) and entitlements.has_feature(RADIUS)):
        raise _Refusal(401, "The organisation's plan does not include RADIUS.")
    if connection.schema_name != tenant.schema_name:  # else its search_path is set already
        connection.set_tenant(tenant)
    return tenant, Nas(pk=int(nas_id), type=nas_type)


def _attributes(control: dict[str, str], reply: dict[str, str]) -> dict:
    out = {f"control:{name}": {"op": ":=", "value": value} for name, value in control.items()}
    out.update({f"reply:{name}": {"op": ":=", "value": value} for name, value in reply.items()})
    return out


def _client(query) -> tuple[int, dict | None]:
    address = (query.get("address") or [""])[0]
    if not address or len(address) > 45:
        raise _Refusal(400, "address is required.")
    connection.set_schema_to_public()
    route = NasRoute.objects.select_related("tenant").filter(address=address).first()
    if route is None or route.tenant.status != Tenant.Status.ACTIVE:
        return 404, None
    connection.set_tenant(route.tenant)
    nas = Nas.objects.filter(pk=route.nas_id).first()
    if nas is None:
        return 404, None
    family = "IPv6" if ":" in address else "IP"
    return 200, {
        f"control:FreeRADIUS-Client-{family}-Address": address,
        "control:FreeRADIUS-Client-Secret": nas.secret,
        "control:FreeRADIUS-Client-Shortname": f"{route.tenant.schema_name}:{nas.pk}:{nas.type}",
        "control:FreeRADIUS-Client-NAS-Type": "other",
    }


def _authorize(environ, query) -> tuple[int, dict | None]:
    tenant, nas = _nas(query)
    decision = radius_authorize(nas=nas, packet=_packet(environ), realm=tenant.slug)
    if not decision.accept:
        return 401, {"reply:Reply-Message": decision.reason}
    return 200, _attributes(decision.control, decision.reply)


def _accounting(environ, query) -> tuple[int, dict | None]:
    tenant, nas = _nas(query)
    try:
        radius_account(nas=nas, packet=_packet(environ), realm=tenant.slug)
    except PacketError as error:
        raise _Refusal(400, str(error)) from None
    return 204, None


ROUTES = {
    ("GET", "client"): _client,
    ("POST", "authorize"): _authorize,
    ("POST", "accounting"): _accounting,
}

REASONS = {
    200: "OK",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
}


def _handle(environ) -> tuple[int, dict | None]:
    if not _authenticated(environ):
        return 403, {"error": "FreeRADIUS signs in with RADIUS_API_TOKEN."}
    route = ROUTES.get((environ["REQUEST_METHOD"], environ["PATH_INFO"][len(PREFIX) :]))
    if route is None:
        return 405, {"error": "Unknown call."}
    query = parse_qs(environ.get("QUERY_STRING", ""), max_num_fields=5)
    try:
        if route is _client:
            return route(query)
        return route(environ, query)
    except _Refusal as refusal:
        if refusal.status == 401:
            return 401, {"reply:Reply-Message": refusal.message}
        return refusal.status, {"error": refusal.message}


def radius_application(environ, start_response):
    close_old_connections()
    try:
        # One Redis read for the tenant's and its licence's cached lookups. The connection is
        # left in the tenant's schema: the next call for it sets nothing (every call sets the
        # schema it needs first, as Django's tenant middleware does per request).
        with tenancy_cache.pinned():
            status, body = _handle(environ)
    except Exception:
        logger.exception("RADIUS call failed")
        status, body = 500, {"error": "Internal error."}
    finally:
        close_old_connections()
    payload = json.dumps(body).encode() if body is not None else b""
    headers = [("Content-Length", str(len(payload)))]
    if body is not None:
        headers.append(("Content-Type", "application/json"))
    start_response(f"{status} {REASONS.get(status, 'Error')}", headers)
    return [payload]


def mount(django_application):
    """Django's WSGI application with the RADIUS calls answered ahead of it."""

    def application(environ, start_response):
        if environ.get("PATH_INFO", "").startswith(PREFIX):
            return radius_application(environ, start_response)
        return django_application(environ, start_response)

    return application

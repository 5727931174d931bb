"""The RADIUS registry: the tenant's network access servers (each routed to the tenant in the
public schema, so that FreeRADIUS knows whose a packet is by its source address), the attribute
map per NAS type, and the services' PPPoE/IPoE logins.

A NAS address is unique over every tenant: the public `NasRoute` is written in the same
transaction as the NAS, and its unique constraint decides when two organisations register the
same address at once. Which organisation holds an address is never told.

Every feature here is `isp.radius` (Pro and Enterprise): 403 FEATURE_NOT_IN_PLAN on Basic.
"""

import secrets
import string

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from apps.core.exceptions import ConflictError
from apps.core.kit.writes import record_create, record_delete, record_update
from apps.isp.constants import RADIUS
from apps.isp.models import Nas, NasAttribute, RadiusLogin, RadiusSession, Service
from apps.isp.selectors.profiles import TEMPLATE_FIELDS
from apps.platform.licensing.guards import ensure_feature
from apps.platform.tenants.models import NasRoute, Tenant

__all__ = [
    "ADDRESS_TAKEN",
    "MIN_SECRET",
    "generate_password",
    "nas_attribute_delete",
    "nas_attribute_set",
    "nas_attribute_update",
    "nas_create",
    "nas_delete",
    "nas_route_sync",
    "nas_update",
    "radius_login_create",
    "radius_login_delete",
    "radius_login_update",
    "validate_secret",
    "validate_template",
]

ADDRESS_TAKEN = "This address is already a NAS of another organisation."
LOGIN_TAKEN = "This service, user name or MAC address has a login already."
MIN_SECRET, MAX_SECRET = 16, 128
#: Printable ASCII without the space: what every NAS takes in its configuration.
SECRET_CHARACTERS = frozenset(string.ascii_letters + string.digits + string.punctuation)
MAX_TEMPLATE = 200
GENERATED_PASSWORD = 16


def current_tenant() -> Tenant:
    """The organisation of the current schema (a request's, a task's or a test's)."""
    return Tenant.objects.get(schema_name=connection.schema_name)


def validate_secret(secret: str) -> None:
    if not isinstance(secret, str) or not MIN_SECRET <= len(secret) <= MAX_SECRET:
        raise ValidationError(
            {"secret": f"A shared secret has {MIN_SECRET} to {MAX_SECRET} characters."}
        )
    if not set(secret) <= SECRET_CHARACTERS:
        raise ValidationError(
            {"secret": "Use printable ASCII characters only (letters, digits, punctuation)."}
        )


# --- NAS -----------------------------------------------------------------------------------------


def _address_taken(address: str, nas: Nas) -> bool:
    routes = NasRoute.objects.filter(address=address)
    tenant = current_tenant()
    return routes.exclude(tenant=tenant, nas_id=nas.pk or 0).exists()


def nas_route_sync(nas: Nas, *, actor=None) -> NasRoute:
    """The public route of `nas` to the current organisation, at its address (created or moved
    there), recorded in the organisation's audit trail. An address another organisation holds
    — or two registered at the same moment — is refused on `address`; the caller's transaction
    is then rolled back."""
    tenant = current_tenant()
    if _address_taken(str(nas.address), nas):
        raise ValidationError({"address": ADDRESS_TAKEN})
    route = NasRoute.objects.filter(tenant=tenant, nas_id=nas.pk).first()
    try:
        with transaction.atomic():  # the unique constraint decides a race
            if route is None:
                route = NasRoute(tenant=tenant, nas_id=nas.pk, address=str(nas.address))
                record_create(route, actor=actor)
            else:
                record_update(route, {"address": str(nas.address)}, actor=actor)
    except (IntegrityError, ValidationError) as error:
        raise ValidationError({"address": ADDRESS_TAKEN}) from error
    return route


@transaction.atomic
def nas_create(*, actor=None, **fields) -> Nas:
    """Register a NAS: its secret checked (16-128 printable characters), its address routed
    to this organisation (taken by anyone: 400 on `address`, nothing written)."""
    ensure_feature(RADIUS)
    validate_secret(fields.get("secret", ""))
    nas = Nas(**fields)
    if fields.get("address") and _address_taken(str(fields["address"]), nas):
        raise ValidationError({"address": ADDRESS_TAKEN})
    try:
        with transaction.atomic():
            record_create(nas, actor=actor)
    except IntegrityError as error:  # the same address registered here at the same moment
        raise ValidationError({"address": ADDRESS_TAKEN}) from error
    nas_route_sync(nas, actor=actor)
    return nas


@transaction.atomic
def nas_update(*, nas: Nas, actor=None, **fields) -> Nas:
    """Change a NAS; a new address moves its route (taken: 400 on `address`), a new secret is
    checked like a first one."""
    ensure_feature(RADIUS)
    if "secret" in fields:
        validate_secret(fields["secret"])
    moved = "address" in fields and str(fields["address"]) != str(nas.address)
    if moved and _address_taken(str(fields["address"]), nas):
        raise ValidationError({"address": ADDRESS_TAKEN})
    try:
        with transaction.atomic():
            record_update(nas, fields, actor=actor)
    except IntegrityError as error:
        raise ValidationError({"address": ADDRESS_TAKEN}) from error
    if moved:
        nas_route_sync(nas, actor=actor)
    return nas


@transaction.atomic
def nas_delete(*, nas: Nas, actor=None) -> None:
    """Remove a NAS and its route. One that has reported sessions is kept (409 CONFLICT): its
    sessions are the subscribers' usage history."""
    ensure_feature(RADIUS)
    if RadiusSession.objects.filter(nas=nas).exists():
        raise ConflictError(
            f"{nas} has reported sessions, which are the subscribers' usage history; it cannot "
            "be deleted.",
            [{"field": None, "message": "sessions"}],
        )
    pk = nas.pk
    record_delete(nas, actor=actor)
    for route in NasRoute.objects.filter(tenant=current_tenant(), nas_id=pk):
        record_delete(route, actor=actor)


# --- the attribute map ---------------------------------------------------------------------------


def validate_template(template: str) -> None:
    """A value template names only the speeds ({down_kbps}, {up_kbps}, {down_bps}, {up_bps})
    and fills in."""
    if not isinstance(template, str) or not template.strip() or len(template) > MAX_TEMPLATE:
        raise ValidationError({"value": f"Give a value of 1 to {MAX_TEMPLATE} characters."})
    sample = dict.fromkeys(TEMPLATE_FIELDS, 1000)
    named = ", ".join("{" + name + "}" for name in TEMPLATE_FIELDS)
    try:
        for _, field, spec, conversion in string.Formatter().parse(template):
            if field is not None and (field not in TEMPLATE_FIELDS or spec or conversion):
                raise ValidationError({"value": f"A value may use only {named}."})
        template.format(**sample)
    except (ValueError, KeyError, IndexError, AttributeError) as error:
        raise ValidationError(
            {"value": f"Not a valid template: use {named}; write {{{{ and }}}} for braces."}
        ) from error


@transaction.atomic
def nas_attribute_set(*, actor=None, **fields) -> NasAttribute:
    """Add a reply attribute to a NAS type's map (once per type and attribute)."""
    ensure_feature(RADIUS)
    validate_template(fields.get("value", ""))
    return record_create(NasAttribute(**fields), actor=actor)


@transaction.atomic
def nas_attribute_update(*, nasattribute: NasAttribute, actor=None, **fields) -> NasAttribute:
    ensure_feature(RADIUS)
    if "value" in fields:
        validate_template(fields["value"])
    record_update(nasattribute, fields, actor=actor)
    return nasattribute


def nas_attribute_delete(*, nasattribute: NasAttribute, actor=None) -> None:
    """Drop an attribute from the map (a type without rows uses the built-in map again)."""
    ensure_feature(RADIUS)
    record_delete(nasattribute, actor=actor)


# --- logins --------------------------------------------------------------------------------------


def generate_password() -> str:
    return secrets.token_urlsafe(GENERATED_PASSWORD)[:GENERATED_PASSWORD]


def _login_fields(kind: str, fields: dict, login: RadiusLogin | None = None) -> dict:
    """The fields of a login of `kind`: PPPoE has a lower-case user name and a password (one
    made up when none is given), no MAC; IPoE a MAC and neither of the others."""
    fields = dict(fields)
    if kind == RadiusLogin.Kind.PPPOE:
        username = fields.get("username", login.username if login else None)
        if not username:
            raise ValidationError({"username": "A PPPoE login needs a user name."})
        fields["username"] = username.strip().lower()
        password = fields.get("password", login.password if login else "")
        if password and (len(password) > 128 or not set(password) <= SECRET_CHARACTERS):
            raise ValidationError({"password": "Up to 128 printable ASCII characters (no spaces)."})
        fields["password"] = password or generate_password()
        fields["mac"] = None
    else:
        mac = fields.get("mac", login.mac if login else None)
        if not mac:
            raise ValidationError({"mac": "An IPoE login needs the CPE's MAC address."})
        fields.update(username=None, password="")
    return fields


@transaction.atomic
def radius_login_create(*, service: Service, actor=None, **fields) -> RadiusLogin:
    """Give a service its login (one per service)."""
    ensure_feature(RADIUS)
    if RadiusLogin.objects.filter(service=service).exists():
        raise ValidationError({"service": "This service already has a login; change that one."})
    kind = fields.pop("kind", RadiusLogin.Kind.PPPOE)
    fields = _login_fields(kind, fields)
    try:
        with transaction.atomic():
            return record_create(RadiusLogin(service=service, kind=kind, **fields), actor=actor)
    except IntegrityError as error:  # the same service, user name or MAC at the same moment
        raise ValidationError(LOGIN_TAKEN) from error


@transaction.atomic
def radius_login_update(*, radiuslogin: RadiusLogin, actor=None, **fields) -> RadiusLogin:
    """Change a login (its kind, user name, password or MAC); the service stays."""
    ensure_feature(RADIUS)
    if "service" in fields and fields["service"] != radiuslogin.service:
        raise ValidationError({"service": "A login stays with its service."})
    fields.pop("service", None)
    kind = fields.pop("kind", radiuslogin.kind)
    fields = _login_fields(kind, fields, radiuslogin)
    try:
        with transaction.atomic():
            record_update(radiuslogin, {"kind": kind, **fields}, actor=actor)
    except IntegrityError as error:
        raise ValidationError(LOGIN_TAKEN) from error
    return radiuslogin


def radius_login_delete(*, radiuslogin: RadiusLogin, actor=None) -> None:
    ensure_feature(RADIUS)
    record_delete(radiuslogin, actor=actor)

"""Tenant lifecycle: request → provision (Celery) → active; suspend, resume, offboard.

Provisioning runs the initialisers that tenant apps register (core registry), so this module
never imports a tenant app. Every step is idempotent and recorded, so that a retry after a
failure picks up where it stopped and running the task twice creates nothing twice.
"""

import logging
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists

from apps.core.audit import audit_created, audit_record, diff, snapshot
from apps.core.db.locks import held
from apps.core.dispatch import dispatch as send_task
from apps.core.exceptions import ConflictError
from apps.core.names import username_from_email
from apps.core.registry import registry
from apps.platform.catalog.models import App
from apps.platform.licensing.services import subscription_ensure_trial
from apps.platform.tenants import schemas
from apps.platform.tenants.constants import PROVISION_TASK
from apps.platform.tenants.models import Domain, Tenant
from apps.platform.tenants.models.tenants import schema_name_for

logger = logging.getLogger(__name__)

Status = Tenant.Status


def tenant_host(slug: str) -> str:
    return f"{slug}.{settings.BASE_DOMAIN}"


def public_tenant_ensure() -> Tenant:
    """The row that stands for the public schema (the management platform)."""
    tenant, _ = Tenant.objects.get_or_create(
        schema_name=settings.PUBLIC_SCHEMA_NAME,
        defaults={"name": "DotMac platform", "slug": "public", "status": Status.ACTIVE},
    )
    return tenant


def slug_is_available(slug: str) -> bool:
    return not Tenant.objects.filter(slug=slug).exists()


@transaction.atomic
def tenant_request(
    *,
    name: str,
    slug: str,
    admin_email: str,
    admin_password: str,
    apps: list[str] | tuple[str, ...] = (),
    admin_username: str = "",
    source: str = Tenant.Source.SYSTEM,
    dispatch: bool = True,
) -> Tenant:
    """Record a new tenant as pending and hand its provisioning to a Celery task.

    The slug must be free (409 otherwise: the same request twice creates one tenant), the apps
    must be on sale and the password must pass the password validators.
    """
    slug = (slug or "").strip().lower()
    if not slug_is_available(slug):
        raise ConflictError(
            f"The address {tenant_host(slug)} is taken.", [{"field": "slug", "message": "taken"}]
        )
    apps = list(dict.fromkeys(apps))
    on_sale = set(App.objects.filter(is_active=True).values_list("key", flat=True))
    unknown = [key for key in apps if key not in on_sale]
    if unknown:
        raise ValidationError({"apps": f"Not in the catalog: {', '.join(unknown)}."})
    admin_username = admin_username or username_from_email(admin_email, fallback="admin")
    UnicodeUsernameValidator()(admin_username)
    # Checked as the user it will be, so "too similar to your email" is caught here too.
    validate_password(
        admin_password, user=get_user_model()(username=admin_username, email=admin_email)
    )
    tenant = Tenant(
        name=name,
        slug=slug,
        schema_name=schema_name_for(slug),
        status=Status.PENDING,
        source=source,
        admin_email=admin_email,
        admin_username=admin_username,
        admin_password_hash=make_password(admin_password),
        requested_apps=apps,
    )
    tenant.full_clean()
    try:
        with transaction.atomic():
            tenant.save()
    except IntegrityError as exc:  # a concurrent request took the slug first
        raise ConflictError(f"The address {tenant_host(slug)} is taken.") from exc
    audit_created(tenant)
    if dispatch:
        send_task(PROVISION_TASK, tenant.pk)
    return tenant


#: The tenant fields a lifecycle step changes (and the audit trail shows).
LIFECYCLE_FIELDS = ["status", "status_reason", "provisioning_step", "provisioned_at"]


def _audit_lifecycle(tenant: Tenant, action: str, before: dict) -> None:
    """Record a lifecycle step of a tenant, in the public schema where the tenant row lives."""
    after = snapshot(tenant, fields=list(before))
    with schema_context(settings.PUBLIC_SCHEMA_NAME):
        audit_record(action=action, instance=tenant, changes=diff(before, after))


def _progress(tenant: Tenant, **fields) -> None:
    """Record provisioning progress. An UPDATE, not save(): the tenant cannot be routed before it
    is active, so there is no cached route to invalidate (save() would clear every worker's
    tenancy cache at each step)."""
    for name, value in fields.items():
        setattr(tenant, name, value)
    Tenant.objects.filter(pk=tenant.pk).update(**fields, updated_at=timezone.now())


def _step(tenant: Tenant, name: str) -> None:
    _progress(tenant, provisioning_step=name)


def tenant_provision_run(tenant_id: int) -> Tenant:
    """Do (or finish) a tenant's provisioning. Safe to run twice, or twice at once."""
    connection.set_schema_to_public()
    tenant = Tenant.objects.get(pk=tenant_id)
    if tenant.status in (Status.ACTIVE, Status.SUSPENDED, Status.OFFBOARDED):
        return tenant
    with held(f"provision:{tenant.pk}") as mine:
        if not mine:
            logger.info("tenant %s is being provisioned by another worker", tenant.slug)
            return tenant
        try:
            return _provision(tenant)
        finally:
            connection.set_schema_to_public()


def _provision(tenant: Tenant) -> Tenant:
    started = time.perf_counter()
    step = "start"
    try:
        tenant.refresh_from_db()
        if tenant.status == Status.ACTIVE:
            return tenant
        before = snapshot(tenant, fields=LIFECYCLE_FIELDS)
        _progress(
            tenant,
            status=Status.PROVISIONING,
            status_reason="",
            provisioning_attempts=tenant.provisioning_attempts + 1,
        )

        step = "schema"
        if not schema_exists(tenant.schema_name):
            how = schemas.schema_create(tenant.schema_name)
            logger.info("schema %s created by %s", tenant.schema_name, how)
        _step(tenant, step)

        step = "initialisers"
        with schema_context(tenant.schema_name):
            for initialiser in registry.tenant_initialisers:
                initialiser.run(
                    tenant=tenant,
                    admin_username=tenant.admin_username,
                    admin_email=tenant.admin_email,
                    admin_password_hash=tenant.admin_password_hash,
                )
        _step(tenant, step)

        step = "subscriptions"

        for app_key in tenant.requested_apps:
            subscription_ensure_trial(tenant=tenant, app_key=app_key, actor="provisioning")
        _step(tenant, step)

        step = "domain"
        Domain.objects.get_or_create(
            domain=tenant_host(tenant.slug), defaults={"tenant": tenant, "is_primary": True}
        )
        _step(tenant, step)

        tenant.status = Status.ACTIVE
        tenant.provisioned_at = timezone.now()
        tenant.admin_password_hash = ""  # the user holds it now; keep no copy
        tenant.save(update_fields=["status", "provisioned_at", "admin_password_hash", "updated_at"])
        _audit_lifecycle(tenant, "provisioned", before)
        logger.info("tenant %s provisioned in %.3f s", tenant.slug, time.perf_counter() - started)
        return tenant
    except Exception as exc:
        connection.set_schema_to_public()
        before = snapshot(tenant, fields=LIFECYCLE_FIELDS)  # _progress keeps it current
        tenant.status = Status.FAILED
        tenant.status_reason = f"{step}: {type(exc).__name__}: {exc}"[:2000]
        Tenant.objects.filter(pk=tenant.pk).update(
            status=tenant.status, status_reason=tenant.status_reason, updated_at=timezone.now()
        )
        _audit_lifecycle(tenant, "provisioning_failed", before)
        logger.exception("provisioning of tenant %s failed at %s", tenant.slug, step)
        raise


def tenant_retry(*, tenant: Tenant, dispatch: bool = True) -> Tenant:
    """Provision a failed (or stuck pending) tenant again, from the step where it stopped."""
    if tenant.status not in (Status.FAILED, Status.PENDING, Status.PROVISIONING):
        raise ConflictError(
            f"{tenant.name} is {tenant.get_status_display().lower()}; nothing to retry."
        )
    before = snapshot(tenant, fields=LIFECYCLE_FIELDS)
    with transaction.atomic():
        Tenant.objects.filter(pk=tenant.pk).update(status=Status.PENDING, status_reason="")
        tenant.refresh_from_db()
        _audit_lifecycle(tenant, "retry", before)
    if dispatch:
        send_task(PROVISION_TASK, tenant.pk)
    return tenant


def tenant_create_now(
    *, name: str, slug: str, admin_username: str, admin_email: str, admin_password: str,
    apps: list[str] | tuple[str, ...] = (), source: str = Tenant.Source.SYSTEM,
) -> Tenant:  # fmt: skip
    """Request and provision in this process (seeding, tests, management commands).

    Returns the existing tenant when the slug is taken, so seeding can run again.
    """
    existing = Tenant.objects.filter(slug=slug).first()
    if existing is None:
        existing = tenant_request(
            name=name, slug=slug, admin_email=admin_email, admin_password=admin_password,
            apps=apps, admin_username=admin_username, source=source, dispatch=False,
        )  # fmt: skip
    return tenant_provision_run(existing.pk)


@transaction.atomic
def tenant_suspend(*, tenant: Tenant, reason: str = "") -> Tenant:
    if tenant.status != Status.ACTIVE:
        raise ConflictError(
            f"Only an active tenant can be suspended; {tenant.name} is {tenant.status}."
        )
    before = snapshot(tenant, fields=LIFECYCLE_FIELDS)
    tenant.status, tenant.status_reason = Status.SUSPENDED, reason
    tenant.save(update_fields=["status", "status_reason", "updated_at"])
    _audit_lifecycle(tenant, "suspend", before)
    return tenant


@transaction.atomic
def tenant_resume(*, tenant: Tenant) -> Tenant:
    if tenant.status != Status.SUSPENDED:
        raise ConflictError(
            f"Only a suspended tenant can be resumed; {tenant.name} is {tenant.status}."
        )
    before = snapshot(tenant, fields=LIFECYCLE_FIELDS)
    tenant.status, tenant.status_reason = Status.ACTIVE, ""
    tenant.save(update_fields=["status", "status_reason", "updated_at"])
    _audit_lifecycle(tenant, "resume", before)
    return tenant

"""Soft unsubscribe: a cancelled app's data stays in the tenant's schema for
BILLING_RETENTION_DAYS (90 by default), the tenant can export it meanwhile, and resubscribing
within that time opens the same records again. Once the time is over, `retention_sweep` (celery
beat, daily) writes a final export and empties the app's tables in that schema.

* Which tables are the app's: the models of the Django apps whose declaration (apps.core.kit)
  carries the app's key, their many-to-many tables included; nothing of identity or core.
* The retention day is set when the app is cancelled from /billing/ (`app_unsubscribe`); a
  subscription cancelled another way (dunning, the console) counts from its `cancelled_at`.
* The final export is written before anything is emptied, and the emptying (one TRUNCATE of
  every table of the app) runs in one transaction with the record of it: a crash between the
  two leaves the data in place and the sweep does it again the next day.
* A resubscription after the purge gets the app's defaults again (its tenant initialiser).
"""

from __future__ import annotations

import datetime
import logging
from pathlib import Path

from django.apps import apps as django_apps
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists
from psycopg import sql

from apps.core.audit import audit_record
from apps.core.exceptions import ConflictError
from apps.core.registry import registry
from apps.platform.billing.models import BillingAccount, InvoiceLine, SubscriptionBilling
from apps.platform.billing.services.accounts import (
    account_ensure,
    billing_of,
    period_amount,
    price_current,
)
from apps.platform.billing.services.collection import invoice_collect
from apps.platform.billing.services.invoicing import LineSpec, issue_immediate
from apps.platform.billing.services.periods import period_of, prorate
from apps.platform.catalog.models import Plan
from apps.platform.licensing import services as licensing
from apps.platform.licensing.models import Subscription
from apps.platform.tenants import offboarding

logger = logging.getLogger(__name__)
Status = Subscription.Status
#: Subscriptions one sweep purges at most (each is an export and a TRUNCATE); the rest wait
#: for the next day's sweep.
SWEEP_LIMIT = 200


def app_labels(app_key: str) -> list[str]:
    """The Django app labels of the catalog app `app_key` (its declared AppConfig)."""
    return [
        config.label
        for config in django_apps.get_app_configs()
        if getattr(getattr(config, "declaration", None), "key", None) == app_key
    ]


def app_tables(app_key: str) -> list[str]:
    """The database tables of the catalog app, its many-to-many tables included."""
    tables = []
    for label in app_labels(app_key):
        for model in django_apps.get_app_config(label).get_models(include_auto_created=True):
            meta = model._meta
            if meta.managed and not meta.proxy and meta.db_table not in tables:
                tables.append(meta.db_table)
    return sorted(tables)


def retention_until(subscription: Subscription) -> datetime.date | None:
    """The last day the cancelled app's data is kept (None: not cancelled)."""
    if subscription.status != Status.CANCELLED:
        return None
    billing = SubscriptionBilling.objects.filter(subscription=subscription).first()
    if billing is not None and billing.retention_until is not None:
        return billing.retention_until
    cancelled = timezone.localtime(subscription.cancelled_at or timezone.now()).date()
    return cancelled + datetime.timedelta(days=settings.BILLING_RETENTION_DAYS)


def data_kept(subscription: Subscription) -> bool:
    """Whether the app's data is still in the schema (not purged)."""
    billing = SubscriptionBilling.objects.filter(subscription=subscription).first()
    return billing is None or billing.data_purged_at is None


@transaction.atomic
def app_unsubscribe(*, subscription: Subscription, actor: str) -> Subscription:
    """Cancel the app now; its data is kept for BILLING_RETENTION_DAYS. What is already billed
    is not refunded (the period runs out unused); nothing more is billed."""
    subscription = licensing.subscription_cancel(
        subscription=subscription, actor=actor, note="Cancelled by the tenant (data kept)"
    )
    billing = billing_of(subscription)
    until = timezone.localdate() + datetime.timedelta(days=settings.BILLING_RETENTION_DAYS)
    billing.retention_until = until
    billing.pending_plan = None
    billing.save(update_fields=["retention_until", "pending_plan", "updated_at"])
    audit_record(action="unsubscribe", instance=billing,
                 changes={"retention_until": [None, until.isoformat()]}, actor=actor)  # fmt: skip
    return subscription


def app_resubscribe(*, subscription: Subscription, actor: str, plan: Plan | None = None):
    """Take a cancelled app up again: active from today, billed from today to the period's end
    on an immediate invoice. Within retention its data is all there; after the purge it starts
    afresh with the app's defaults."""
    with transaction.atomic():
        account = account_ensure(tenant=subscription.tenant)
        account = BillingAccount.objects.select_for_update().get(pk=account.pk)
        subscription = licensing.subscription_reopen(subscription=subscription, actor=actor,
                                                     plan=plan)  # fmt: skip
        billing = billing_of(subscription)
        billing = SubscriptionBilling.objects.select_for_update().get(pk=billing.pk)
        purged = billing.data_purged_at is not None
        if billing.price.plan_id != subscription.plan_id:
            billing.price = price_current(subscription.plan)
        today = timezone.localdate()
        end = period_of(today)[1]
        invoice = None
        if billing.billed_until is None or billing.billed_until < today:
            spec = LineSpec(
                key=f"recurring:{subscription.pk}:{today:%Y-%m-%d}",
                kind=InvoiceLine.Kind.RECURRING,
                description=f"{subscription.app.name} {subscription.plan.name} (resubscribed)",
                period_start=today, period_end=end,
                amount=prorate(period_amount(billing), today, end),
                subscription_id=subscription.pk, app_key=subscription.app.key,
            )  # fmt: skip
            invoice = issue_immediate(account=account, specs=[spec], today=today, actor=actor)
            billing.billed_until = end
        billing.retention_until = None
        billing.data_purged_at = None
        billing.save(update_fields=["price", "billed_until", "retention_until", "data_purged_at",
                                    "updated_at"])  # fmt: skip
        if invoice is not None and invoice.status == invoice.Status.OPEN:
            transaction.on_commit(lambda: invoice_collect(invoice=invoice))
    if purged:
        _reseed(subscription)
    return subscription


def _reseed(subscription: Subscription) -> None:
    """The app's defaults again in a schema whose tables were emptied."""
    tenant = subscription.tenant
    name = f"{subscription.app.key}.defaults"
    with schema_context(tenant.schema_name):
        for initialiser in registry.tenant_initialisers:
            if initialiser.name == name:
                initialiser.run(tenant=tenant, admin_username=tenant.admin_username,
                                admin_email=tenant.admin_email,
                                admin_password_hash=tenant.admin_password_hash)  # fmt: skip


def app_export(*, subscription: Subscription) -> Path:
    """A zip of the app's rows in the tenant's schema (JSON fixtures), while they are kept."""
    if not data_kept(subscription):
        raise ConflictError(f"The {subscription.app.name} data was deleted after its retention.")
    labels = app_labels(subscription.app.key)
    if not labels:
        raise ConflictError(f"{subscription.app.name} keeps no data of its own.")
    try:
        return offboarding.tenant_export(subscription.tenant, app_labels=labels,
                                         app=subscription.app.key)  # fmt: skip
    finally:
        connection.set_schema_to_public()


def subscriptions_past_retention(*, today: datetime.date | None = None):
    today = today or timezone.localdate()
    first_day = today - datetime.timedelta(days=settings.BILLING_RETENTION_DAYS)
    cutoff = timezone.make_aware(datetime.datetime.combine(first_day, datetime.time()))
    return (
        Subscription.objects.filter(status=Status.CANCELLED)
        .filter(
            Q(billing__retention_until__lt=today)
            | Q(billing__retention_until__isnull=True, cancelled_at__lt=cutoff)
        )  # fmt: skip
        .exclude(billing__data_purged_at__isnull=False)
        .select_related("tenant", "app", "plan")
        .order_by("pk")
    )


def app_purge(*, subscription: Subscription, actor: str = "retention") -> SubscriptionBilling:
    """The final export, then the app's tables emptied in the tenant's schema."""
    tenant = subscription.tenant
    has_schema = schema_exists(tenant.schema_name)
    archive = app_export(subscription=subscription) if has_schema and app_labels(
        subscription.app.key) else None  # fmt: skip
    tables = app_tables(subscription.app.key) if has_schema else []
    with transaction.atomic():
        billing = billing_of(subscription)
        billing = SubscriptionBilling.objects.select_for_update().get(pk=billing.pk)
        current = Subscription.objects.get(pk=subscription.pk)
        if current.status != Status.CANCELLED or billing.data_purged_at is not None:
            return billing  # resubscribed meanwhile, or done by another worker
        if tables:
            with connection.cursor() as cursor:
                # Foreign keys checked at commit would refuse the TRUNCATE of rows written
                # earlier in this transaction: check them now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(
                    sql.Identifier(tenant.schema_name, table) for table in tables)))  # fmt: skip
        billing.data_purged_at = timezone.now()
        billing.final_export = (str(archive.relative_to(settings.MEDIA_ROOT)) if archive
                                else "")  # fmt: skip
        billing.save(update_fields=["data_purged_at", "final_export", "updated_at"])
        audit_record(action="purge_app_data", instance=billing,
                     changes={"tables": [None, len(tables)],
                              "final_export": [None, billing.final_export]},
                     actor=actor)  # fmt: skip
    logger.info("%s: %s data emptied after retention (%d tables, export %s)",
                tenant.slug, subscription.app.key, len(tables), archive)  # fmt: skip
    return billing


def retention_sweep(*, today: datetime.date | None = None) -> int:
    """Purge every cancelled app past its retention (at most SWEEP_LIMIT a day)."""
    purged = 0
    for subscription in subscriptions_past_retention(today=today)[:SWEEP_LIMIT]:
        try:
            app_purge(subscription=subscription)
            purged += 1
        except Exception:  # one tenant's failure must not stop the others'; retried tomorrow
            logger.exception("retention purge of subscription %s failed", subscription.pk)
        finally:
            connection.set_schema_to_public()
    return purged

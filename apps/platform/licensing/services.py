"""Subscription lifecycle. Every change is transactional, recorded as a SubscriptionEvent (the
subscription's own history) and in the audit trail (with the fields it changed), and invalidates
entitlements everywhere once committed, so it shows on the very next request."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.core.audit import audit_created, audit_record, diff, snapshot
from apps.core.exceptions import ConflictError
from apps.core.tenancy import tenant_model
from apps.platform.catalog.models import Plan
from apps.platform.licensing.models import Subscription, SubscriptionEvent

if TYPE_CHECKING:  # the tenant model is the tenants package's, above licensing
    from apps.platform.tenants.models import Tenant

Status = Subscription.Status
Action = SubscriptionEvent.Action


def _record(
    subscription: Subscription,
    action: str,
    *,
    actor: str,
    from_status: str = "",
    from_plan: Plan | None = None,
    changes: dict | None = None,
    note: str = "",
) -> SubscriptionEvent:
    return SubscriptionEvent.objects.create(
        subscription=subscription,
        action=action,
        from_status=from_status,
        to_status=subscription.status,
        from_plan=from_plan,
        to_plan=subscription.plan,
        changes=changes or {},
        actor=actor,
        note=note,
    )


def _audit(subscription: Subscription, action: str, before: dict, *, actor: str) -> None:
    audit_record(
        action=action,
        instance=subscription,
        changes=diff(before, snapshot(subscription)),
        actor=actor,
    )


def _locked(subscription: Subscription) -> Subscription:
    return (
        Subscription.objects.select_for_update()
        .select_related("plan", "app", "tenant")
        .get(pk=subscription.pk)
    )


def _require(subscription: Subscription, allowed: set[str], doing: str) -> None:
    if subscription.status not in allowed:
        raise ConflictError(
            f"Cannot {doing} a subscription that is {subscription.get_status_display().lower()}.",
            [{"field": "status", "message": subscription.status}],
        )


def _period_end(plan: Plan, start):
    months = 12 if plan.billing_period == Plan.BillingPeriod.YEARLY else 1
    return start + relativedelta(months=months)


def plan_resolve(*, app_key: str, plan_key: str) -> Plan:
    plan = (
        Plan.objects.select_related("app")
        .filter(app__key=app_key, key=plan_key, is_active=True, app__is_active=True)
        .first()
    )
    if plan is None:
        raise ValidationError({"plan": f"No plan '{plan_key}' of app '{app_key}' is on sale."})
    return plan


@transaction.atomic
def subscription_create(
    *, tenant: Tenant, plan: Plan, status: str = Status.TRIAL, actor: str, note: str = ""
) -> Subscription:
    """Subscribe a tenant to the plan's app, as a trial (the plan's trial days) or active."""
    if status not in (Status.TRIAL, Status.ACTIVE):
        raise ValidationError({"status": "A new subscription starts as 'trial' or 'active'."})
    if not (plan.is_active and plan.app.is_active):
        raise ValidationError({"plan": f"'{plan}' is not on sale."})
    gone = (tenant_model().Status.OFFBOARDED, tenant_model().Status.FAILED)
    if tenant.is_public or tenant.status in gone:
        raise ConflictError(f"{tenant.name} cannot take subscriptions ({tenant.status}).")
    if Subscription.objects.filter(tenant=tenant, app=plan.app).exists():
        raise ConflictError(f"{tenant.name} already has a subscription to {plan.app.name}.")
    now = timezone.now()
    subscription = Subscription(tenant=tenant, app=plan.app, plan=plan, status=status)
    if status == Status.TRIAL:
        subscription.trial_ends_at = now + timedelta(days=plan.trial_days)
    else:
        subscription.current_period_start = now
        subscription.current_period_end = _period_end(plan, now)
    subscription.full_clean()
    subscription.save()
    action = Action.TRIAL_STARTED if status == Status.TRIAL else Action.ACTIVATED
    _record(subscription, action, actor=actor, note=note)
    audit_created(subscription, actor=actor)
    return subscription


def subscription_ensure_trial(*, tenant: Tenant, app_key: str, actor: str) -> Subscription:
    """A trial of the app's entry plan, unless the tenant already has any subscription to it."""
    existing = Subscription.objects.filter(tenant=tenant, app__key=app_key).first()
    if existing is not None:
        return existing
    entry_plan = (
        Plan.objects.filter(app__key=app_key, is_active=True, app__is_active=True)
        .order_by("position", "price")
        .first()
    )
    if entry_plan is None:
        raise ValidationError({"apps": f"No app '{app_key}' is on sale."})
    return subscription_create(tenant=tenant, plan=entry_plan, actor=actor)


@transaction.atomic
def subscription_activate(
    *, subscription: Subscription, actor: str, note: str = ""
) -> Subscription:
    """Start paying: active from now for one billing period (also ends a suspension)."""
    subscription = _locked(subscription)
    _require(subscription, {Status.TRIAL, Status.PAST_DUE, Status.SUSPENDED}, "activate")
    audited = snapshot(subscription)
    before = subscription.status
    now = timezone.now()
    subscription.status = Status.ACTIVE
    subscription.past_due_since = None
    subscription.current_period_start = now
    subscription.current_period_end = _period_end(subscription.plan, now)
    subscription.save()
    action = Action.RESUMED if before == Status.SUSPENDED else Action.ACTIVATED
    _record(subscription, action, actor=actor, from_status=before, note=note)
    _audit(subscription, "activate", audited, actor=actor)
    return subscription


@transaction.atomic
def subscription_change_plan(
    *, subscription: Subscription, plan: Plan, actor: str, note: str = ""
) -> Subscription:
    subscription = _locked(subscription)
    _require(
        subscription,
        {Status.TRIAL, Status.ACTIVE, Status.PAST_DUE, Status.SUSPENDED},
        "change the plan of",
    )
    if plan.app_id != subscription.app_id:
        raise ValidationError({"plan": f"'{plan}' is not a plan of {subscription.app.name}."})
    if not plan.is_active:
        raise ValidationError({"plan": f"'{plan}' is not on sale."})
    if plan.pk == subscription.plan_id:
        raise ConflictError(f"The subscription is already on {plan.name}.")
    audited = snapshot(subscription)
    before = subscription.plan
    subscription.plan = plan
    subscription.save()
    _record(subscription, Action.PLAN_CHANGED, actor=actor, from_plan=before, note=note,
            from_status=subscription.status)  # fmt: skip
    _audit(subscription, "change_plan", audited, actor=actor)
    return subscription


@transaction.atomic
def subscription_mark_past_due(*, subscription: Subscription, actor: str) -> Subscription:
    """Payment failed: the app stays usable for LICENSE_GRACE_DAYS, then switches off."""
    subscription = _locked(subscription)
    _require(subscription, {Status.ACTIVE}, "mark past due")
    audited = snapshot(subscription)
    subscription.status = Status.PAST_DUE
    subscription.past_due_since = timezone.now()
    subscription.save()
    _record(subscription, Action.PAST_DUE, actor=actor, from_status=Status.ACTIVE)
    _audit(subscription, "mark_past_due", audited, actor=actor)
    return subscription


@transaction.atomic
def subscription_suspend(*, subscription: Subscription, actor: str, note: str = "") -> Subscription:
    subscription = _locked(subscription)
    _require(subscription, {Status.TRIAL, Status.ACTIVE, Status.PAST_DUE}, "suspend")
    audited = snapshot(subscription)
    before = subscription.status
    subscription.status = Status.SUSPENDED
    subscription.save()
    _record(subscription, Action.SUSPENDED, actor=actor, from_status=before, note=note)
    _audit(subscription, "suspend", audited, actor=actor)
    return subscription


@transaction.atomic
def subscription_cancel(*, subscription: Subscription, actor: str, note: str = "") -> Subscription:
    subscription = _locked(subscription)
    _require(
        subscription, {Status.TRIAL, Status.ACTIVE, Status.PAST_DUE, Status.SUSPENDED}, "cancel"
    )
    audited = snapshot(subscription)
    before = subscription.status
    subscription.status = Status.CANCELLED
    subscription.cancelled_at = timezone.now()
    subscription.save()
    _record(subscription, Action.CANCELLED, actor=actor, from_status=before, note=note)
    _audit(subscription, "cancel", audited, actor=actor)
    return subscription


@transaction.atomic
def subscription_reopen(
    *, subscription: Subscription, actor: str, plan: Plan | None = None, note: str = ""
) -> Subscription:
    """A cancelled subscription taken up again (a resubscription): active from now, on its plan
    or `plan`. The same row comes back, so whatever the app's data kept meanwhile opens again."""
    subscription = _locked(subscription)
    _require(subscription, {Status.CANCELLED}, "resubscribe")
    if plan is not None and plan.app_id != subscription.app_id:
        raise ValidationError({"plan": f"'{plan}' is not a plan of {subscription.app.name}."})
    plan = plan or subscription.plan
    if not (plan.is_active and plan.app.is_active):
        raise ValidationError({"plan": f"'{plan}' is not on sale."})
    audited = snapshot(subscription)
    before_plan = subscription.plan
    now = timezone.now()
    subscription.plan = plan
    subscription.status = Status.ACTIVE
    subscription.cancelled_at = None
    subscription.past_due_since = None
    subscription.current_period_start = now
    subscription.current_period_end = _period_end(plan, now)
    subscription.save()
    _record(subscription, Action.RESUMED, actor=actor, from_status=Status.CANCELLED,
            from_plan=before_plan, note=note or "Resubscribed")  # fmt: skip
    _audit(subscription, "reopen", audited, actor=actor)
    return subscription


@transaction.atomic
def subscription_set_overrides(
    *,
    subscription: Subscription,
    actor: str,
    features: dict[str, bool] | None = None,
    limits: dict[str, int | None] | None = None,
    note: str = "",
) -> Subscription:
    """Replace the per-subscription overrides (features granted/withdrawn, limits raised)."""
    subscription = _locked(subscription)
    audited = snapshot(subscription)
    before = {"features": subscription.feature_overrides, "limits": subscription.limit_overrides}
    if features is not None:
        if not all(isinstance(k, str) and isinstance(v, bool) for k, v in features.items()):
            raise ValidationError({"feature_overrides": "Map each feature flag to true or false."})
        subscription.feature_overrides = features
    if limits is not None:
        if not all(v is None or (isinstance(v, int) and v >= 0) for v in limits.values()):
            raise ValidationError(
                {"limit_overrides": "Map each limit to a whole number, or null for unlimited."}
            )
        subscription.limit_overrides = limits
    subscription.save()
    after = {"features": subscription.feature_overrides, "limits": subscription.limit_overrides}
    _record(
        subscription,
        Action.OVERRIDES_CHANGED,
        actor=actor,
        note=note,
        from_status=subscription.status,
        changes={"before": before, "after": after},
    )
    _audit(subscription, "set_overrides", audited, actor=actor)
    return subscription


__all__ = [
    "plan_resolve",
    "subscription_activate",
    "subscription_cancel",
    "subscription_change_plan",
    "subscription_create",
    "subscription_ensure_trial",
    "subscription_mark_past_due",
    "subscription_set_overrides",
    "subscription_suspend",
]

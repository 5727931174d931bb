"""Enforcement (DESIGN.md §5): the guards apps put in front of features and creates.

- `current_entitlements()`: what the tenant of the current schema may use.
- `ensure_app` / `ensure_feature`: raise AppNotSubscribedError / FeatureNotInPlanError.
- `requires_app` / `requires_feature`: the same as decorators (views, viewset actions, services).
- `within_limit`: wraps a create in a usage-limit check that concurrent creates cannot race
  past; it raises LimitExceededError before anything is written.

Apps register how to count usage of each of their limits with
`registry.register_usage_counter("isp.max_customers", lambda: Customer.objects.count())`.
"""

import contextlib
import functools
from collections.abc import Iterator

from django.db import connection, transaction

from apps.core.exceptions import AppNotSubscribedError, FeatureNotInPlanError, LimitExceededError
from apps.core.kit.declaration import declared
from apps.core.registry import registry
from apps.platform.catalog.models import App, Plan
from apps.platform.licensing.entitlements import Entitlements, entitlements_for


def current_entitlements() -> Entitlements:
    return entitlements_for(connection.schema_name)


def _plans_with(app_key: str, feature: str | None = None) -> list[dict]:
    """The plans on sale that would unlock the app (or the feature), cheapest first."""
    plans = Plan.objects.filter(app__key=app_key, is_active=True, app__is_active=True)
    offers = []
    for plan in plans.order_by("price"):
        if feature is None or feature in plan.features:
            offers.append(
                {
                    "field": "plan",
                    "message": f"{plan.name}: {plan.price} {plan.currency}/{plan.billing_period}",
                    "plan": plan.key,
                }
            )
    return offers


def app_name(app_key: str) -> str:
    return App.objects.filter(key=app_key).values_list("name", flat=True).first() or app_key


def ensure_app(app_key: str) -> None:
    if not current_entitlements().has_app(app_key):
        raise AppNotSubscribedError(
            f"Your organisation does not subscribe to {app_name(app_key)}.",
            _plans_with(app_key),
        )


def ensure_feature(feature: str) -> None:
    app_key = feature.split(".", 1)[0]
    ensure_app(app_key)
    if not current_entitlements().has_feature(feature):
        raise FeatureNotInPlanError(
            f"'{feature}' is not included in your {app_name(app_key)} plan.",
            _plans_with(app_key, feature),
        )


def _guard(check, argument):
    def decorator(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            check(argument)
            return func(*args, **kwargs)

        return wrapper

    return decorator


def requires_app(app_key: str):
    return _guard(ensure_app, app_key)


def requires_feature(feature: str):
    return _guard(ensure_feature, feature)


def usage_of(limit_key: str) -> int | None:
    """Current usage of a limit in the current schema, or None when nothing counts it."""
    counter = registry.usage_counters.get(limit_key)
    return None if counter is None else counter()


@contextlib.contextmanager
def within_limit(limit_key: str, adding: int = 1) -> Iterator[None]:
    """Let the wrapped create proceed only if usage + `adding` stays within the limit.

    Runs in a transaction holding an advisory lock per tenant and limit, so two concurrent
    creates cannot both see room for one more.
    """
    ensure_app(limit_key.split(".", 1)[0])
    with transaction.atomic():
        limit = current_entitlements().limit(limit_key)
        if limit is not None:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(hashtext(%s))",
                    [f"{connection.schema_name}:{limit_key}"],
                )
            used = usage_of(limit_key) or 0
            if used + adding > limit:
                raise LimitExceededError(
                    f"Your plan allows {limit} for {limit_key}; {used} are in use.",
                    [{"field": limit_key, "message": f"limit {limit}, in use {used}"}],
                )
        yield


def admin_app_visible(request, app_label: str) -> bool:
    """Tenant admin menus list a catalog app's models only while the tenant may use the app."""
    if declared(app_label) is None or connection.schema_name == "public":
        return True
    return current_entitlements().has_app(app_label)


def admin_model_visible(request, model_label: str) -> bool:
    """... and of its models only those whose plan feature (the app's `admin_features`) the
    tenant's plan has."""
    app = declared(model_label.split(".", 1)[0])
    feature = app.admin_features.get(model_label) if app is not None else None
    if feature is None or connection.schema_name == "public":
        return True
    return current_entitlements().has_feature(feature)

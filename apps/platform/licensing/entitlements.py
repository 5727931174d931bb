"""What a tenant may use right now: its apps, features and usage limits (DESIGN.md §5).

Looked up on every tenant request, so it is cached twice: in process memory (the tenancy cache,
one Redis GET per request to learn whether anything changed) and in Redis (so that after a
change, N workers reload it with one database query between them, not N). Any change to a
subscription, plan or app invalidates both at once, in every process.
"""

import contextlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from apps.core.localcache import redis_client, tenancy_cache
from apps.platform.licensing.models import Subscription

UNLIMITED = None


@dataclass(frozen=True)
class AppLicence:
    """A tenant's licence to one app, as plain values (cacheable, comparable)."""

    app: str
    app_name: str
    plan: str
    plan_name: str
    status: str
    features: frozenset[str] = frozenset()
    limits: dict[str, int | None] = field(default_factory=dict)
    #: While usable, until when (end of trial or of the past-due grace period); None = open.
    usable_until: datetime | None = None
    usable_status: bool = False

    @property
    def usable(self) -> bool:
        if not self.usable_status:
            return False
        return self.usable_until is None or timezone.now() < self.usable_until

    def to_json(self) -> dict:
        return {
            **self.__dict__,
            "features": sorted(self.features),
            "usable_until": self.usable_until.isoformat() if self.usable_until else None,
        }

    @classmethod
    def from_json(cls, data: dict) -> "AppLicence":
        until = data["usable_until"]
        return cls(
            **{
                **data,
                "features": frozenset(data["features"]),
                "usable_until": datetime.fromisoformat(until) if until else None,
            }
        )


@dataclass(frozen=True)
class Entitlements:
    schema_name: str
    licences: dict[str, AppLicence]

    def licence(self, app: str) -> AppLicence | None:
        return self.licences.get(app)

    def has_app(self, app: str) -> bool:
        licence = self.licences.get(app)
        return licence is not None and licence.usable

    def has_feature(self, feature: str) -> bool:
        app = feature.split(".", 1)[0]
        return self.has_app(app) and feature in self.licences[app].features

    def limit(self, key: str) -> int | None:
        """The usage limit `key` ("isp.max_customers"): a number, or None for unlimited.

        An app the tenant cannot use has a limit of 0.
        """
        app = key.split(".", 1)[0]
        if not self.has_app(app):
            return 0
        return self.licences[app].limits.get(key, UNLIMITED)

    def highest_limit(self, key: str) -> int | None:
        """The highest number any usable licence sets for `key`, a limit that belongs to no
        single app ("platform.api_rate_per_minute"); None when none sets a number."""
        values = [
            licence.limits[key]
            for licence in self.licences.values()
            if licence.usable and isinstance(licence.limits.get(key), int)
        ]
        return max(values, default=None)

    @property
    def usable_apps(self) -> list[str]:
        return [key for key, licence in self.licences.items() if licence.usable]


def licence_from_subscription(subscription) -> AppLicence:
    """Plan entitlements with the subscription's overrides on top."""
    plan = subscription.plan
    features = set(plan.features)
    for flag, granted in (subscription.feature_overrides or {}).items():
        (features.add if granted else features.discard)(flag)
    limits = {**plan.limits, **(subscription.limit_overrides or {})}

    status = subscription.status
    usable, until = False, None
    if status == Subscription.Status.ACTIVE:
        usable = True
    elif status == Subscription.Status.TRIAL:
        usable, until = True, subscription.trial_ends_at
    elif status == Subscription.Status.PAST_DUE and subscription.past_due_since:
        usable = True
        until = subscription.past_due_since + timedelta(days=settings.LICENSE_GRACE_DAYS)
    return AppLicence(
        app=subscription.app.key,
        app_name=subscription.app.name,
        plan=plan.key,
        plan_name=plan.name,
        status=status,
        features=frozenset(features),
        limits=limits,
        usable_until=until,
        usable_status=usable,
    )


def _from_database(schema_name: str) -> Entitlements:
    subscriptions = Subscription.objects.filter(tenant__schema_name=schema_name).select_related(
        "app", "plan"
    )
    return Entitlements(
        schema_name,
        {sub.app.key: licence_from_subscription(sub) for sub in subscriptions if sub.app.is_active},
    )


def _load(schema_name: str) -> Entitlements:
    """From Redis when another process already loaded this generation, else from PostgreSQL."""
    generation = tenancy_cache.generation()
    if generation is None:  # Redis is down: no shared layer, read the database
        return _from_database(schema_name)
    key = (
        f"{settings.CACHES['default']['KEY_PREFIX']}:licensing:entitlements:"
        f"{schema_name}:{generation.decode()}"
    )
    client = redis_client()
    try:
        cached = client.get(key)
    except redis.RedisError:
        cached = None
    if cached is not None:
        data = json.loads(cached)
        return Entitlements(schema_name, {k: AppLicence.from_json(v) for k, v in data.items()})
    entitlements = _from_database(schema_name)
    payload = {k: v.to_json() for k, v in entitlements.licences.items()}
    with contextlib.suppress(redis.RedisError):
        client.set(key, json.dumps(payload), ex=3600)
    return entitlements


def entitlements_for(schema_name: str) -> Entitlements:
    return tenancy_cache.get_or_load(("entitlements", schema_name), lambda: _load(schema_name))


def tenant_has_app(app_key: str) -> bool:
    """Whether the current tenant (the connection's schema) may use the app now."""
    return entitlements_for(connection.schema_name).has_app(app_key)


def platform_limit(schema_name: str, key: str) -> int | None:
    """A tenant's highest platform-wide limit `key` (the core registry's `rate_overrides`)."""
    return entitlements_for(schema_name).highest_limit(key)


def invalidate() -> None:
    """A subscription, plan or app changed: every process reloads on its next request."""
    tenancy_cache.invalidate()

"""Hooks that apps fill at start-up, so that lower layers never import higher ones.

Provisioning (platform) runs the tenant initialisers that tenant apps register (identity creates
the super admin; an app may seed defaults) without importing them (DESIGN.md §2).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TenantInitialiser:
    name: str
    run: Callable[..., None]
    order: int = 100


@dataclass
class Registry:
    tenant_initialisers: list[TenantInitialiser] = field(default_factory=list)
    #: Called as fn(tenant=..., demo=DemoTenant, password=...) inside the tenant's schema.
    demo_seeders: list[TenantInitialiser] = field(default_factory=list)

    #: fn(request, app_label) -> bool; an admin app is listed only if every filter agrees.
    admin_app_filters: list[Callable[..., bool]] = field(default_factory=list)
    #: fn(request, "app_label.model") -> bool; likewise for each model of a listed app.
    admin_model_filters: list[Callable[..., bool]] = field(default_factory=list)
    #: limit key ("isp.max_customers") → fn() counting current usage, run in the tenant's schema.
    usage_counters: dict[str, Callable[[], int]] = field(default_factory=dict)
    #: fn(schema_name, limit_key) -> int | None: the highest value a tenant's usable plans give
    #: a platform-wide limit ("platform.api_rate_per_minute"); set by licensing (throttles).
    rate_overrides: Callable[[str, str], int | None] | None = None
    #: app key → its PartyDirectory (core.parties): cross-app links between party records.
    party_directories: dict[str, object] = field(default_factory=dict)
    #: fn(feature) raising FeatureNotInPlanError when the current tenant's plan lacks it; set
    #: by licensing (the API kit's `required_feature`).
    feature_guard: Callable[[str], None] | None = None
    #: fn(app_key) -> bool: whether the current tenant may use the app now; set by licensing.
    app_check: Callable[[str], bool] | None = None
    #: "<app>.<verb>" → fn(**kwargs): what an app offers the others to call without importing
    #: it (lead-to-cash: a won opportunity starts a project, a project activates an ISP
    #: service; a shop order of an ISP plan orders the service). Reached through `operation`.
    operations: dict[str, Callable[..., Any]] = field(default_factory=dict)
    #: fn(size) raising LimitExceededError when the current tenant may not store `size` more
    #: bytes (its quotas); set by metering, called by apps.core.uploads.file_save.
    upload_guard: Callable[[int], None] | None = None
    #: fn(schema_name) -> the warnings about quotas near or past their limit (str() is the
    #: text, `.over` whether past it), shown to the tenant's super admin; set by metering.
    quota_notices: Callable[[str], list] | None = None

    def ensure_feature(self, feature: str) -> None:
        if self.feature_guard is None:
            raise RuntimeError("no feature guard registered (apps.platform.licensing)")
        self.feature_guard(feature)

    def register_operation(self, name: str, run: Callable[..., Any]) -> None:
        if "." not in name:
            raise ValueError(f"an operation is named '<app>.<verb>', not {name!r}")
        self.operations[name] = run

    def operation(self, name: str) -> Callable[..., Any] | None:
        """The operation `name` when its app is installed and the current tenant may use it
        now (its licence), else None: the caller then offers nothing (DESIGN.md §2)."""
        run = self.operations.get(name)
        if run is None:
            return None
        app_key = name.split(".", 1)[0]
        if self.app_check is None or not self.app_check(app_key):
            return None
        return run

    def register_usage_counter(self, limit_key: str, count: Callable[[], int]) -> None:
        self.usage_counters[limit_key] = count

    def register_demo_seeder(self, name: str, run: Callable[..., None], order: int = 100):
        if any(existing.name == name for existing in self.demo_seeders):
            return
        self.demo_seeders.append(TenantInitialiser(name, run, order))
        self.demo_seeders.sort(key=lambda item: item.order)

    def register_tenant_initialiser(self, name: str, run: Callable[..., None], order: int = 100):
        if any(existing.name == name for existing in self.tenant_initialisers):
            return
        self.tenant_initialisers.append(TenantInitialiser(name, run, order))
        self.tenant_initialisers.sort(key=lambda item: item.order)


registry = Registry()

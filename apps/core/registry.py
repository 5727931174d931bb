"""Hooks that apps fill at start-up, so that lower layers never import higher ones.

Provisioning (platform) runs the tenant initialisers that tenant apps register (identity creates
the super admin; an app may seed defaults) without importing them (DESIGN.md §2).
"""

from collections.abc import Callable
from dataclasses import dataclass, field


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

    def ensure_feature(self, feature: str) -> None:
        if self.feature_guard is None:
            raise RuntimeError("no feature guard registered (apps.platform.licensing)")
        self.feature_guard(feature)

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

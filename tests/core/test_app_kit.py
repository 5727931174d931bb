"""The app kit's rules, held by tests (apps/README.md): every catalog app fills every slot of
its declaration, and every API viewset is built on the kit's base."""

import inspect

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.module_loading import import_string

from apps.core.api.viewsets import BaseViewSet
from apps.core.kit.declaration import AppDeclaration, area_for_path, declared_apps
from apps.core.kit.icons import ICONS
from apps.core.parties import PartyDirectory
from apps.core.registry import registry
from apps.platform.catalog.constants import APP_KEYS

BUILT = [app for app in declared_apps() if not app.planned]
PLANNED = [app for app in declared_apps() if app.planned]


def test_every_app_of_the_catalog_is_declared_and_only_those():
    assert sorted(app.key for app in declared_apps()) == sorted(APP_KEYS)
    assert {app.key for app in BUILT} >= {"isp", "crm"}


def test_a_declaration_names_every_slot_and_cannot_forget_one():
    slots = [
        name
        for name, parameter in inspect.signature(AppDeclaration).parameters.items()
        if parameter.default is inspect.Parameter.empty
    ]
    assert set(slots) >= {"areas", "launcher", "pages", "api", "initialiser", "demo_seeder",
                          "usage_counters", "party_directory", "operations",
                          "admin_features"}  # fmt: skip
    with pytest.raises(TypeError):
        AppDeclaration(key="x", name="X", areas=(), launcher=())  # the other slots missing


@pytest.mark.parametrize("app", BUILT, ids=lambda app: app.key)
def test_a_built_app_fills_every_slot(app):
    """Each slot resolves to the kind of thing it names, and the registry holds it."""
    assert app.areas
    assert app.launcher
    assert {entry.area for entry in app.launcher} == {area.key for area in app.areas}
    pages, api = import_string(f"{app.pages}.by_area"), import_string(f"{app.api}.by_area")
    assert set(pages) | set(api) <= {area.key for area in app.areas}
    assert app.key in api
    assert app.key in pages
    assert callable(import_string(app.initialiser))
    assert any(item.run is import_string(app.initialiser) for item in registry.tenant_initialisers)
    assert callable(import_string(app.demo_seeder))
    assert any(item.run is import_string(app.demo_seeder) for item in registry.demo_seeders)
    assert app.usage_counters
    for limit_key, counter in app.usage_counters.items():
        assert limit_key.startswith(f"{app.key}.")
        assert registry.usage_counters[limit_key] is import_string(counter)
    directory = registry.party_directories[app.key]
    assert isinstance(directory, import_string(app.party_directory))
    assert isinstance(directory, PartyDirectory)
    for verb, run in app.operations.items():
        assert registry.operations[f"{app.key}.{verb}"] is import_string(run)
    for model_label, feature in app.admin_features.items():
        assert model_label.startswith(f"{app.key}.")
        assert feature.startswith(f"{app.key}.")


@pytest.mark.parametrize("app", PLANNED, ids=lambda app: app.key)
def test_a_planned_app_declares_its_areas_and_nothing_else_yet(app):
    assert app.areas
    assert app.launcher
    empty = (app.pages, app.api, app.initialiser, app.demo_seeder, app.party_directory)
    assert empty == (None,) * 5
    assert not app.usage_counters
    assert not app.operations
    assert not app.admin_features


@pytest.mark.parametrize("app", declared_apps(), ids=lambda app: app.key)
def test_every_launcher_icon_is_drawn_and_every_tab_has_a_page(app):
    for entry in app.launcher:
        assert entry.icon in ICONS, entry
    for area in app.areas:
        for tab in area.tabs:
            assert reverse(tab.url, args=tab.args).startswith(f"/{area.pages}/"), tab


@pytest.mark.parametrize(
    ("path", "area"),
    [("/isp/customers/", "isp"), ("/portal/invoices/", "isp.portal"), ("/tech/", "isp.tech"),
     ("/api/v1/isp/customers/", "isp"), ("/api/v1/isp/portal/me/", "isp.portal"),
     ("/api/v1/isp/tech/jobs/", "isp.tech"), ("/crm/", "crm"), ("/api/v1/crm/leads/", "crm"),
     ("/shop/", "commerce.shop"), ("/api/v1/commerce/shop/cart/", "commerce.shop"),
     ("/commerce/", "commerce"), ("/projects/", "projects"), ("/api/v1/me/", None),
     ("/admin/isp/", None), ("/", None)],
)  # fmt: skip
def test_the_declared_prefixes_say_which_area_a_path_is_in(path, area):
    found = area_for_path(path)
    assert (found.key if found else None) == area


def _viewsets(resolver, prefix=""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _viewsets(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and hasattr(pattern.callback, "cls"):
            yield prefix + str(pattern.pattern), pattern.callback.cls


@pytest.mark.parametrize("urlconf", ["dotmac.urls_tenant", "dotmac.urls_public"])
def test_every_api_viewset_extends_the_kits_base(urlconf):
    found = list(_viewsets(get_resolver(urlconf)))
    viewsets = {(path, cls) for path, cls in found if hasattr(cls, "get_extra_actions")}

    assert len(viewsets) > 10
    strays = sorted(f"{path}: {cls.__module__}.{cls.__name__}" for path, cls in viewsets
                    if not issubclass(cls, BaseViewSet))  # fmt: skip
    assert strays == []


def test_an_operation_is_offered_only_where_the_tenant_may_use_its_app(tenant_a, tenant_b):
    """registry.operation: the function in a tenant licensed for the offering app, None in one
    that is not (A has no Project Management, B has it) and for an operation nobody offers."""
    from django.db import connection

    calls = []
    registry.register_operation("projects.kit_probe", lambda **kwargs: calls.append(kwargs))
    try:
        connection.set_tenant(tenant_a)
        assert registry.operation("projects.kit_probe") is None
        connection.set_tenant(tenant_b)
        registry.operation("projects.kit_probe")(n=1)
        assert calls == [{"n": 1}]
        assert registry.operation("projects.nobody_offers_this") is None
    finally:
        registry.operations.pop("projects.kit_probe")
    with pytest.raises(ValueError, match="<app>.<verb>"):
        registry.register_operation("no_app_prefix", print)


@pytest.mark.parametrize(
    ("cell", "exported"),
    [("=SUM(A1)", "'=SUM(A1)"), ("+1+2", "'+1+2"), ("@cmd", "'@cmd"), ("\tx", "'\tx"),
     ("\rx", "'\rx"), ("-x", "'-x"), ("-12.50", "'-12.50"), ("Acme", "Acme"), (3, "3")],
)  # fmt: skip
def test_an_exported_csv_cell_that_a_spreadsheet_would_run_is_quoted(cell, exported):
    from apps.core.kit.csvimport import spreadsheet_safe

    assert spreadsheet_safe(cell) == exported
    # The CRM's export leaves numbers (a negative amount) as they are.
    number = cell in ("-12.50", 3)
    expected = str(cell) if number else exported
    assert spreadsheet_safe(cell, numbers_as_is=True) == expected

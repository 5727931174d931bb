"""The app declaration: what a catalog app tells the platform about itself, once, in its apps.py.

    class IspConfig(CatalogAppConfig):
        name = "apps.isp"
        declaration = AppDeclaration(key="isp", name="ISP Framework", areas=(...), ...)

Every slot is a keyword without a default, so an app cannot forget one: a slot the app does
not use is declared empty on purpose (`party_directory=None`). Functions and classes are named
by dotted path and imported when the app is ready (an apps.py may not import models).

Licensing, identity, the launcher, the URL configuration and provisioning read the apps from
here, so that a new app is plugged in by its declaration alone (apps/README.md):

- `areas`: the surfaces a role grants (DESIGN.md §5), each with its page prefix (the first
  path segment: `/portal/`) and its API prefix under `/api/v1/` (`isp/portal`). Licensing
  switches the app off by these prefixes; identity opens an area by them.
- `launcher`: the tiles of the tenant's launcher and the app switcher (icon: apps.core.kit.icons).
- `pages`, `api`: the URL configurations mounted at the page prefixes and `/api/v1/<key>/`.
- `initialiser`: fn(**kwargs) run in a new tenant's schema (the app's defaults).
- `demo_seeder`: fn(tenant=, demo=, password=) run by `seed_demo` in the tenant's schema.
- `usage_counters`: limit key → fn() -> int, the usage `within_limit` compares with the plan.
- `party_directory`: a PartyDirectory class (apps.core.parties), or None.
- `operations`: verb → fn(**kwargs) the app offers the others, registered as "<key>.<verb>"
  (apps.core.registry: `registry.operation("isp.service_order")`), e.g. lead-to-cash steps.
- `admin_features`: "app_label.model" → plan feature the model's admin needs; without it the
  tenant console does not list the model (the app's own admin filter; licensing hides a whole
  app the tenant does not subscribe to).

A `planned` app is declared ahead of its build: its areas are licensed and role-checked already,
and every other slot is empty until it is built.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

__all__ = [
    "AppDeclaration",
    "Area",
    "LauncherEntry",
    "Tab",
    "app_for_path",
    "area",
    "area_for_path",
    "areas",
    "declare",
    "declared",
    "declared_apps",
]


@dataclass(frozen=True)
class Tab:
    """One entry of an area's navigation in the page shell."""

    name: str
    url: str  # a URL name, reversed when the shell is drawn ("isp:customers")
    section: str  # the `section` a page sets to show this tab as the current one
    args: tuple = ()  # the URL's arguments


@dataclass(frozen=True)
class Area:
    """A surface of an app that a role grants: its pages and its API."""

    key: str  # "isp", "isp.portal"
    name: str
    pages: str | None  # first path segment of its pages ("portal"), None: no pages
    api: str | None  # its API's path under /api/v1/ ("isp/portal"), None: no API
    tabs: tuple[Tab, ...] = ()
    #: Its pages are open to everyone on the tenant host, anonymous visitors included (a
    #: storefront); the app's licence still applies. Its API stays signed in.
    public: bool = False


@dataclass(frozen=True)
class LauncherEntry:
    """A tile of the launcher (and an entry of the app switcher): opens `url`."""

    area: str
    name: str
    icon: str
    url: str


@dataclass(frozen=True, kw_only=True)
class AppDeclaration:
    key: str
    name: str
    areas: tuple[Area, ...]
    launcher: tuple[LauncherEntry, ...]
    pages: str | None
    api: str | None
    initialiser: str | None
    demo_seeder: str | None
    usage_counters: Mapping[str, str]
    party_directory: str | None
    operations: Mapping[str, str]
    admin_features: Mapping[str, str]
    #: Place of the initialiser and demo seeder among the apps' (identity's come first).
    order: int = 100
    planned: bool = False

    def __post_init__(self):
        for item in self.areas:
            if item.key != self.key and not item.key.startswith(f"{self.key}."):
                raise ValueError(f"area {item.key!r} is not one of app {self.key!r}")
        known = {item.key for item in self.areas}
        for entry in self.launcher:
            if entry.area not in known:
                raise ValueError(f"launcher entry {entry.name!r} opens unknown area {entry.area}")

    @cached_property
    def launcher_by_area(self) -> dict[str, LauncherEntry]:
        return {entry.area: entry for entry in self.launcher}


class _Declarations:
    """The declared apps, with the path → area tables built once from them."""

    def __init__(self):
        self.apps: dict[str, AppDeclaration] = {}
        self._index: tuple | None = None

    def add(self, declaration: AppDeclaration) -> None:
        existing = self.apps.get(declaration.key)
        if existing is not None and existing != declaration:
            raise ValueError(f"app {declaration.key!r} is declared twice")
        self.apps[declaration.key] = declaration
        self._index = None

    def index(self) -> tuple[dict, dict, dict]:
        """(areas by key, area by page prefix, area by API path), built on first use."""
        if self._index is None:
            by_key, by_page, by_api = {}, {}, {}
            for app in self.apps.values():
                for item in app.areas:
                    by_key[item.key] = item
                    if item.pages:
                        by_page[item.pages] = item
                    if item.api:
                        by_api[tuple(item.api.split("/"))] = item
            self._index = (by_key, by_page, by_api)
        return self._index


_declarations = _Declarations()


def declare(declaration: AppDeclaration) -> None:
    """Called by CatalogAppConfig when Django loads the app (apps.core.kit.appconfig)."""
    _declarations.add(declaration)


def declared_apps() -> tuple[AppDeclaration, ...]:
    return tuple(_declarations.apps.values())


def declared(key: str) -> AppDeclaration | None:
    return _declarations.apps.get(key)


def areas() -> dict[str, Area]:
    """Every declared area by key, in declaration order."""
    return _declarations.index()[0]


def area(key: str) -> Area:
    return areas()[key]


def app_of_area(key: str) -> str:
    """The app whose licence an area needs ("isp.portal" → "isp")."""
    return key.split(".", 1)[0]


def area_for_path(path: str) -> Area | None:
    """The area a request path belongs to: by its API path (the longest declared one wins:
    /api/v1/isp/portal/ is the portal's, /api/v1/isp/customers/ the ISP's) or its page prefix."""
    _, by_page, by_api = _declarations.index()
    parts = path.lstrip("/").split("/")
    if parts[:2] == ["api", "v1"]:
        rest = tuple(parts[2:])
        for length in range(min(len(rest), 3), 0, -1):
            found = by_api.get(rest[:length])
            if found is not None:
                return found
        return None
    return by_page.get(parts[0])


def app_for_path(path: str) -> tuple[str | None, bool]:
    """(app key, is_api) for a request path; (None, ...) for paths of no catalog app.

    `/api/v1/<key>/...` belongs to app `key` even where no area claims the rest of the path, so
    that an unsubscribed app answers APP_NOT_SUBSCRIBED rather than 404 on every path under it.
    """
    parts = path.lstrip("/").split("/", 3)
    if parts[:2] == ["api", "v1"]:
        key = parts[2] if len(parts) > 2 else ""
        return (key if key in _declarations.apps else None), True
    found = area_for_path(path)
    return (app_of_area(found.key) if found else None), parts[0] == "api"

"""The tenant host's routes of every built catalog app, from the declarations: each area's pages
at `/<pages>/` (namespace: the prefix, e.g. "portal"), its API at `/api/v1/<api>/`.

An app's `pages` and `api` modules map each of its areas to its patterns:
`by_area = {"isp": staff_patterns, "isp.portal": portal_patterns}`.
"""

from django.urls import URLPattern, URLResolver, include, path
from django.utils.module_loading import import_string

from apps.core.kit.declaration import declared_apps


def _by_area(module_path: str | None) -> dict:
    return import_string(f"{module_path}.by_area") if module_path else {}


def catalog_urlpatterns() -> list[URLPattern | URLResolver]:
    api, pages = [], []
    for app in declared_apps():
        api_routes, page_routes = _by_area(app.api), _by_area(app.pages)
        for area in app.areas:
            if area.api and area.key in api_routes:
                api.append((area.api, path(f"api/v1/{area.api}/", include(api_routes[area.key]))))
            if area.pages and area.key in page_routes:
                pages.append(path(f"{area.pages}/", include((page_routes[area.key], area.pages))))
    # The longest API path first: /api/v1/isp/portal/ before /api/v1/isp/.
    api.sort(key=lambda item: -item[0].count("/"))
    return [route for _, route in api] + pages

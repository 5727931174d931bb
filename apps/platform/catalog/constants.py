"""The catalog's fixed vocabulary: app keys and the URL prefixes each app answers on.

The prefixes are a contract of DESIGN.md §3: licensing switches an app off by them, whether or
not the app's own module is installed yet.
"""

ISP, CRM, COMMERCE, PROJECTS = "isp", "crm", "commerce", "projects"
APP_KEYS = (ISP, CRM, COMMERCE, PROJECTS)

#: Page prefixes (first path segment) of each app on a tenant host.
PAGE_PREFIXES = {
    ISP: ("isp", "portal", "tech"),
    CRM: ("crm",),
    COMMERCE: ("commerce", "shop"),
    PROJECTS: ("projects",),
}


def app_for_path(path: str) -> tuple[str | None, bool]:
    """(app key, is_api) for a request path, or (None, ...) for paths of no catalog app."""
    parts = path.lstrip("/").split("/", 3)
    if parts[:2] == ["api", "v1"] and len(parts) > 2:
        return (parts[2] if parts[2] in APP_KEYS else None), True
    for key, prefixes in PAGE_PREFIXES.items():
        if parts[0] in prefixes:
            return key, False
    return None, parts[0] == "api"

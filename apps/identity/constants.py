"""Areas: what a role grants. An area is one surface of a catalog app; the tenant must
subscribe to the app, and the user must hold a role granting the area (DESIGN.md §5)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Area:
    key: str
    app: str  # the catalog app whose licence the area needs
    name: str
    url: str  # where the launcher sends the user
    icon: str


AREAS = {
    area.key: area
    for area in (
        Area("isp", "isp", "ISP Framework", "/isp/", "🌐"),
        Area("isp.portal", "isp", "Customer portal", "/portal/", "🏠"),
        Area("isp.tech", "isp", "Technician app", "/tech/", "🧰"),
        Area("crm", "crm", "CRM", "/crm/", "📞"),
        Area("commerce", "commerce", "E-commerce back office", "/commerce/", "📦"),
        Area("commerce.shop", "commerce", "Shop", "/shop/", "🛒"),
        Area("projects", "projects", "Project Management", "/projects/", "📋"),
    )
}

#: First path segment of a page → area.
PAGE_AREAS = {
    "isp": "isp", "portal": "isp.portal", "tech": "isp.tech", "crm": "crm",
    "commerce": "commerce", "shop": "commerce.shop", "projects": "projects",
}  # fmt: skip
#: /api/v1/<app>/<sub>/ → area: sub-prefixes of an app's API that belong to another area.
API_SUB_AREAS = {("isp", "portal"): "isp.portal", ("isp", "tech"): "isp.tech",
                 ("commerce", "shop"): "commerce.shop"}  # fmt: skip

#: The roles every tenant starts with (editable by the tenant).
DEFAULT_ROLES = {
    "IT Manager": ("Runs the network side and the sales pipeline.", ["isp", "crm"]),
    "Sales Rep": ("Sells: CRM and the shop's back office.", ["crm", "commerce"]),
    "Customer": ("A customer: ISP self-service portal and shop.", ["isp.portal", "commerce.shop"]),
    "Field Tech": ("Installs and repairs on site: the technician app only.", ["isp.tech"]),
    "ISP Admin": ("Everything in ISP Framework.", ["isp", "isp.portal", "isp.tech"]),
    "CRM Admin": ("Everything in CRM.", ["crm"]),
    "E-commerce Admin": ("Everything in E-commerce.", ["commerce", "commerce.shop"]),
    "Projects Admin": ("Everything in Project Management.", ["projects"]),
}


def area_for_path(path: str) -> str | None:
    parts = path.lstrip("/").split("/")
    if parts[:2] == ["api", "v1"] and len(parts) > 2:
        app = parts[2]
        if len(parts) > 3 and (app, parts[3]) in API_SUB_AREAS:
            return API_SUB_AREAS[(app, parts[3])]
        return app if app in AREAS else None
    return PAGE_AREAS.get(parts[0])

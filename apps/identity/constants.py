"""Roles grant areas: surfaces of the catalog apps, which each app declares with their URL
prefixes (apps.core.kit.declaration). The tenant must subscribe to the area's app, and the user
must hold a role granting the area (DESIGN.md §5)."""

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

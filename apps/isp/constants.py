"""Names of the ISP app shared by its declaration, services, API and pages."""

APP_KEY = "isp"
#: The areas a role grants (apps/isp/apps.py declares their prefixes).
AREA, PORTAL_AREA, TECH_AREA = "isp", "isp.portal", "isp.tech"
#: Plan features and limits the app checks.
DUNNING = "isp.dunning"
CUSTOMER_PORTAL = "isp.customer_portal"
MAX_CUSTOMERS = "isp.max_customers"

from django.contrib.admin.apps import AdminConfig


class DotMacAdminConfig(AdminConfig):
    """django.contrib.admin with DotMac's admin site (menus filtered by licence)."""

    default_site = "apps.core.admin_site.DotMacAdminSite"

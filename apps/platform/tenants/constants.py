# Slugs that can never name a tenant: they would shadow platform hosts or mislead users.
RESERVED_SLUGS = frozenset(
    {
        "admin", "api", "app", "apps", "auth", "billing", "cdn", "dashboard", "docs", "dotmac",
        "help", "internal", "mail", "metrics", "platform", "portal", "public", "root", "signup",
        "static", "status", "support", "system", "template", "www",
    }
)  # fmt: skip

#: Names of the lifecycle's Celery tasks (apps/platform/tenants/tasks.py): the services send
#: them by name (apps.core.dispatch), as tasks sit above the services they wrap.
PROVISION_TASK = "tenants.provision"
OFFBOARD_TASK = "tenants.offboard"

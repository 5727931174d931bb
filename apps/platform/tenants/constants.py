# Slugs that can never name a tenant: they would shadow platform hosts or mislead users.
RESERVED_SLUGS = frozenset(
    {
        "admin", "api", "app", "apps", "auth", "billing", "cdn", "dashboard", "docs", "dotmac",
        "help", "internal", "mail", "metrics", "platform", "portal", "public", "root", "signup",
        "static", "status", "support", "system", "template", "www",
    }
)  # fmt: skip

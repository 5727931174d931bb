"""The demo data contract of DESIGN.md §10: docs, tests and demos rely on these names."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: str  # a role name (roles arrive with the identity issue); "super admin" for the owner
    is_super_admin: bool = False


@dataclass(frozen=True)
class DemoTenant:
    slug: str
    name: str
    apps: tuple[str, ...]
    users: tuple[DemoUser, ...] = field(default_factory=tuple)
    #: The plan of an app other than its entry plan (the demo shows what the plan includes).
    plans: dict[str, str] = field(default_factory=dict)

    @property
    def super_admin(self) -> DemoUser:
        return next(user for user in self.users if user.is_super_admin)


PLATFORM_ADMIN = "admin"

DEMO_TENANTS = (
    DemoTenant(
        slug="abc-corp",
        name="ABC Corporation",
        apps=("isp", "crm", "commerce"),
        # ISP Pro: dunning and RADIUS (DESIGN.md §10: Jane authenticates as jane@abc-corp);
        # E-commerce Pro: discount codes and the vendor portal (two vendors sell in the shop).
        plans={"isp": "pro", "commerce": "pro"},
        users=(
            DemoUser("john", "John", "Smith", "Super admin", is_super_admin=True),
            DemoUser("sarah", "Sarah", "Connor", "IT Manager"),
            DemoUser("mike", "Mike", "Ross", "Sales Rep"),
            DemoUser("jane", "Jane", "Doe", "Customer"),
            DemoUser("tom", "Tom", "Baker", "Field Tech"),
        ),
    ),
    DemoTenant(
        slug="xyz-isp",
        name="XYZ Internet",
        apps=("isp", "projects"),
        # Projects Enterprise: the demo shows the timeline and time tracking.
        plans={"isp": "pro", "projects": "enterprise"},
        users=(DemoUser("admin", "XYZ", "Administrator", "Super admin", is_super_admin=True),),
    ),
)

from django.db import transaction

from apps.identity.models import User


@transaction.atomic
def user_create(
    *,
    username: str,
    email: str = "",
    password: str | None = None,
    password_hash: str | None = None,
    first_name: str = "",
    last_name: str = "",
    is_superuser: bool = False,
) -> User:
    """Create a user from a password, or from a hash made elsewhere (never both)."""
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_superuser=is_superuser,
        is_staff=is_superuser,
    )
    if password_hash is not None:
        user.password = password_hash
    else:
        user.set_password(password)
    user.full_clean()
    user.save()
    return user


@transaction.atomic
def tenant_super_admin_ensure(
    *, tenant, admin_username: str, admin_email: str, admin_password_hash: str, **_
) -> User:
    """Tenant initialiser: the tenant's super admin exists (created once, never duplicated).

    Receives the password already hashed: provisioning never holds it in clear.
    """
    existing = User.objects.filter(username=admin_username).first()
    if existing is not None:
        return existing
    return user_create(
        username=admin_username,
        email=admin_email,
        password_hash=admin_password_hash,
        is_superuser=True,
    )


def demo_users_ensure(*, tenant, demo, password: str, **_) -> None:
    """Demo seeder: the demo tenant's users exist with the demo password and their roles
    (DESIGN.md §10)."""
    from apps.identity.models import Role

    for person in demo.users:
        user = User.objects.filter(username=person.username).first()
        if user is None:
            user = user_create(
                username=person.username,
                email=f"{person.username}@{tenant.slug}.example.com",
                password=password,
                first_name=person.first_name,
                last_name=person.last_name,
                is_superuser=person.is_super_admin,
            )
        role = Role.objects.filter(name=person.role).first()
        if role is not None:
            role_grant(user=user, role=role, granted_by="demo")


def roles_ensure_defaults(**_) -> None:
    """Tenant initialiser: the default roles exist (created once; later edits are kept)."""
    from apps.identity.constants import DEFAULT_ROLES
    from apps.identity.models import Role

    for name, (description, areas) in DEFAULT_ROLES.items():
        Role.objects.get_or_create(
            name=name, defaults={"description": description, "areas": areas, "is_default": True}
        )


@transaction.atomic
def role_grant(*, user: User, role, granted_by: str = "") -> None:
    """Give a user a role (idempotent)."""
    from apps.identity.models import RoleAssignment

    RoleAssignment.objects.get_or_create(user=user, role=role, defaults={"granted_by": granted_by})


@transaction.atomic
def role_revoke(*, user: User, role) -> None:
    from apps.identity.models import RoleAssignment

    RoleAssignment.objects.filter(user=user, role=role).delete()

from contextlib import ExitStack

from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from apps.core.audit import audit_created, audit_deleted, snapshot
from apps.core.exceptions import ConflictError
from apps.core.kit.declaration import app_of_area, areas
from apps.core.kit.writes import record_delete, record_update
from apps.core.names import username_from_email
from apps.core.registry import registry
from apps.identity.access import invalidate
from apps.identity.constants import DEFAULT_ROLES
from apps.identity.models import Role, RoleAssignment, User
from apps.platform.licensing.guards import current_entitlements, within_limit


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
    audit_created(user)
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
        elif not user.first_name and person.first_name:
            # The super admin was created by provisioning, before the demo gave it a name.
            names = {"first_name": person.first_name, "last_name": person.last_name}
            record_update(user, names)
        role = Role.objects.filter(name=person.role).first()
        if role is not None:
            role_grant(user=user, role=role, granted_by="demo")


def roles_ensure_defaults(**_) -> None:
    """Tenant initialiser: the default roles exist (created once; later edits are kept)."""
    for name, (description, role_areas) in DEFAULT_ROLES.items():
        role, created = Role.objects.get_or_create(
            name=name,
            defaults={"description": description, "areas": role_areas, "is_default": True},
        )
        if created:
            audit_created(role)


def _seats_taken(user: User, role) -> list[str]:
    """The `<app>.max_users` limits (DESIGN.md §5) a grant of `role` takes a seat of: an app
    the tenant has, with a metered user limit, that the role opens and none of the user's
    current roles does."""
    known = areas()
    held = {app_of_area(area) for r in user.roles.all() for area in r.areas if area in known}
    apps = {app_of_area(area) for area in role.areas if area in known} - held
    entitlements = current_entitlements()
    return sorted(
        f"{app}.max_users" for app in apps
        if f"{app}.max_users" in registry.usage_counters and entitlements.has_app(app)
    )  # fmt: skip


@transaction.atomic
def role_grant(*, user: User, role, granted_by: str = "") -> None:
    """Give a user a role (idempotent). Refused with LIMIT_EXCEEDED, writing nothing, when it
    would take the app past its plan's user limit (e.g. `crm.max_users`)."""
    if RoleAssignment.objects.filter(user=user, role=role).exists():
        return
    with ExitStack() as limits:
        if user.is_active:
            for limit_key in _seats_taken(user, role):
                limits.enter_context(within_limit(limit_key))
        assignment, created = RoleAssignment.objects.get_or_create(
            user=user, role=role, defaults={"granted_by": granted_by}
        )
        if created:
            audit_created(assignment)


@transaction.atomic
def role_revoke(*, user: User, role) -> None:

    for assignment in RoleAssignment.objects.filter(user=user, role=role):
        before, pk = snapshot(assignment), assignment.pk
        assignment.delete()
        audit_deleted(assignment, before, object_id=pk)


def username_for_email(email: str) -> str:
    """A free username from an email's local part (jane, jane2, ...)."""
    base = username_from_email(email, fallback="user", max_length=140)
    candidate, n = base, 1
    while User.objects.filter(username=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate


@transaction.atomic
def user_invite(
    *,
    email: str,
    base_url: str,
    invited_by: str,
    first_name: str = "",
    last_name: str = "",
    roles=(),
    organisation: str = "",
) -> User:
    """Create a user who sets their own password from an emailed link (valid for
    PASSWORD_RESET_TIMEOUT), with the given roles."""
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "A user with this email already exists."})
    user = User(
        username=username_for_email(email), email=email, first_name=first_name,
        last_name=last_name,
    )  # fmt: skip
    user.set_unusable_password()
    user.full_clean()
    user.save()
    audit_created(user)
    for role in roles:
        role_grant(user=user, role=role, granted_by=invited_by)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = f"{base_url}/invite/{uid}/{default_token_generator.make_token(user)}/"
    context = {"user": user, "link": link, "invited_by": invited_by, "organisation": organisation}
    transaction.on_commit(
        lambda: send_mail(
            f"You are invited to {organisation or 'DotMac'}",
            render_to_string("identity/emails/invitation.txt", context),
            None,
            [email],
        )
    )
    return user


def _ensure_not_last_super_admin(user: User) -> None:
    """An organisation keeps at least one active super admin (the one who manages its users):
    the last one cannot be disabled, demoted nor deleted. Rows are locked, so two super admins
    removing each other at once cannot both succeed. Read as stored (an admin form has already
    changed the instance in memory)."""
    stored = User.objects.filter(pk=user.pk).values("is_active", "is_superuser").first()
    if not stored or not (stored["is_active"] and stored["is_superuser"]):
        return
    admins = list(
        User.objects.select_for_update().filter(is_superuser=True, is_active=True).order_by("pk")
    )
    if [admin.pk for admin in admins] == [user.pk]:
        raise ConflictError(
            f"{user.get_username()} is the organisation's last active super admin: make "
            "another user super admin first."
        )


@transaction.atomic
def user_set_active(*, user: User, active: bool) -> User:
    """Enable or disable a user; disabling ends its sessions and tokens (see signals)."""
    if not active:
        _ensure_not_last_super_admin(user)
    record_update(user, {"is_active": active})
    return user


@transaction.atomic
def user_set_super_admin(*, user: User, super_admin: bool) -> User:
    """Make a user the organisation's super admin (every app, the console) or no longer."""
    if not super_admin:
        _ensure_not_last_super_admin(user)
    record_update(user, {"is_superuser": super_admin, "is_staff": super_admin})
    invalidate()
    return user


@transaction.atomic
def user_delete(*, user: User) -> None:
    _ensure_not_last_super_admin(user)
    record_delete(user)


@transaction.atomic
def user_set_roles(*, user: User, roles, granted_by: str) -> User:
    """Make the user hold exactly these roles."""
    wanted = {role.pk for role in roles}
    for assignment in RoleAssignment.objects.filter(user=user).exclude(role_id__in=wanted):
        before, pk = snapshot(assignment), assignment.pk
        assignment.delete()
        audit_deleted(assignment, before, object_id=pk)
    for role in roles:
        role_grant(user=user, role=role, granted_by=granted_by)
    return user

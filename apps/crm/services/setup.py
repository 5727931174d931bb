"""What every tenant's CRM starts with (the app's tenant initialiser)."""

from django.contrib.auth.models import Permission
from django.db import transaction

from apps.core.audit import audit_record
from apps.crm.constants import DEFAULT_STAGES
from apps.crm.models import Stage
from apps.crm.services.pipeline import stage_create
from apps.identity.access import invalidate
from apps.identity.models import Role

#: The model-wide permissions that make a role a CRM manager (see apps.crm.selectors).
MANAGER_PERMISSIONS = [
    f"{action}_{model}"
    for model in ("account", "contact", "lead", "opportunity", "activity", "stage")
    for action in ("view", "add", "change", "delete")
]


@transaction.atomic
def crm_defaults_ensure(**_) -> None:
    """Tenant initialiser: the default pipeline stages and the "CRM Admin" role's manager
    permissions exist (created once; later edits are kept)."""
    if not Stage.objects.exists():
        for position, (name, probability, kind) in enumerate(DEFAULT_STAGES, 1):
            stage_create(name=name, position=position, probability=probability, kind=kind)
    role = Role.objects.filter(name="CRM Admin").first()
    if role is not None and not role.permissions.filter(content_type__app_label="crm").exists():
        permissions = Permission.objects.filter(
            content_type__app_label="crm", codename__in=MANAGER_PERMISSIONS
        )
        role.permissions.add(*permissions)
        audit_record(
            action="update", instance=role,
            changes={"permissions": [[], sorted(p.codename for p in permissions)]},
        )  # fmt: skip
        transaction.on_commit(invalidate)

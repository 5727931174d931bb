"""Admin actions that run a service per selected object, for every admin that has them (the
platform console's tenants and subscriptions, a tenant's ISP services and accounts)."""

from django.contrib import messages

from apps.core.admin_audit import audit_admin_action
from apps.core.kit.refusals import REFUSALS, admin_refusal


def run_for_each(modeladmin, request, objects, call, *, done: str, doing: str, name=str) -> None:
    """Call a service for each selected object, reporting success or refusal one by one.

    `call(obj)` runs the service; `done` is formatted with the object's name ("{} suspended."),
    `doing` names the operation in a refusal ("suspend"); `name(obj)` names an object.
    Each success is also in the audit trail, as the admin action's name on the object (the
    service records what it changed).
    """
    action_name = request.POST.get("action") or doing
    for obj in objects:
        try:
            call(obj)
        except REFUSALS as error:
            admin_refusal(modeladmin, request, error, doing=f"{doing} {name(obj)}")
        else:
            message = done.format(name(obj))
            audit_admin_action(request, obj, action_name)
            modeladmin.message_user(request, message, messages.SUCCESS)
            modeladmin.log_change(request, obj, message)  # the object's admin history

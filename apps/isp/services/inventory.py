"""Network inventory: sites, devices and circuits, and their rules: a device's uplink chain
without loops, a CPE's service, a management address of its own. The plan's `isp.max_devices`
counts the devices monitoring probes (apps.isp.services.monitoring): the inventory itself is not
limited, but a retired device brought back while it has a monitor on counts again."""

from copy import copy

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.core.kit.writes import record_create, record_delete, record_update
from apps.isp.constants import MAX_DEVICES
from apps.isp.models import Device, Monitor
from apps.platform.licensing.guards import within_limit

__all__ = ["device_create", "device_delete", "device_update"]

#: The longest uplink chain followed when looking for a loop (a deeper one is refused too).
MAX_DEPTH = 32


def _check(device: Device) -> None:
    problems = {}
    parent, depth = device.parent, 0
    while parent is not None:
        if device.pk is not None and parent.pk == device.pk:
            problems["parent"] = "A device cannot be connected behind itself or its own children."
            break
        depth += 1
        if depth > MAX_DEPTH:
            problems["parent"] = f"An uplink chain may be at most {MAX_DEPTH} devices deep."
            break
        parent = parent.parent
    if device.service_id is not None and device.role != Device.Role.CPE:
        problems["service"] = "Only a CPE is assigned to a subscriber's service."
    address = device.management_ip
    if address is not None and address.service_id is not None:
        problems["management_ip"] = f"{address} is assigned to a subscriber's service."
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def device_create(*, actor=None, **fields) -> Device:
    """Add a device (probing it is what counts against `isp.max_devices`)."""
    device = Device(**fields)
    _check(device)
    return record_create(device, actor=actor)


@transaction.atomic
def device_update(*, device: Device, actor=None, **fields) -> Device:
    reviving = fields.get("status", device.status) != Device.Status.RETIRED
    probed = Monitor.objects.filter(device=device, enabled=True).exists()
    if device.status == Device.Status.RETIRED and reviving and probed:
        with within_limit(MAX_DEVICES):  # a probed device brought back counts again
            return _update(device, fields, actor)
    return _update(device, fields, actor)


def _update(device: Device, fields: dict, actor) -> Device:
    proposed = copy(device)  # checked as it would be; the write itself records the change
    for name, value in fields.items():
        setattr(proposed, name, value)
    _check(proposed)
    record_update(device, fields, actor=actor)
    return device


def device_delete(*, device: Device, actor=None) -> None:
    """Remove a device; one others are connected behind answers 409 (move them first)."""
    record_delete(device, actor=actor)

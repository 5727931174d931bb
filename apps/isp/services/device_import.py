"""CSV import of network devices: each row written by `device_create` (uplinks without loops,
a CPE's service, a management address of its own),
all rows in one transaction, all or none (the CSV import kit: apps.core.kit.csvimport).

A row names its site and its uplink (`parent`) by name (the uplink may be a device of an
earlier row of the same file) and its management IP by address: an address IPAM already holds,
else the row is refused. (The plan's `isp.max_devices` counts probed devices: an import adds
none, so it is not limited.) A dry run is the same
import, undone: what the preview shows is what the real run would do.
"""

import ipaddress

from django.core.exceptions import ValidationError
from django.db import IntegrityError

from apps.core.kit.csvimport import ImportResult, ImportRow, read_import, write_all_or_none
from apps.isp.constants import DEVICE_IMPORT_MAX_BYTES, DEVICE_IMPORT_MAX_ROWS
from apps.isp.models import Device, IPAddress, Site
from apps.isp.services.inventory import device_create

__all__ = ["COLUMNS", "device_import"]

KIND = "devices"
COLUMNS = ["name", "role", "vendor", "model", "serial", "mac", "site", "parent", "status",
           "management_ip", "description"]  # fmt: skip
#: The columns written as they are.
PLAIN = ("name", "vendor", "model", "serial", "description")


def _choice(value: str, choices) -> str:
    """A choice by its value or its label, in any case ("Access point", "access_point"); an
    unknown one is left for the model's validation to refuse with the choices it has."""
    wanted = value.strip().lower().replace(" ", "_")
    for key, label in choices:
        if wanted in (key, label.lower().replace(" ", "_")):
            return key
    return value


def _site(name: str) -> Site | None:
    sites = Site.objects.filter(name=name)[:1] or Site.objects.filter(name__iexact=name)[:2]
    return sites[0] if len(sites) == 1 else None


def _management_ip(text: str) -> tuple[IPAddress | None, str]:
    """The IPAM address `text` names, or why not."""
    try:
        address = str(ipaddress.ip_address(text))
    except ValueError:
        return None, f"{text!r} is not an IP address."
    found = list(IPAddress.objects.filter(address=address).select_related("vrf")[:2])
    if not found:
        return None, f"{address} is not in IPAM: add the address first."
    if len(found) > 1:
        return None, f"{address} is in more than one VRF: set it on the device after the import."
    return found[0], ""


class _Rows:
    """The rows of one file as they are written: the devices already made (an uplink of a
    later row) and the line each name first appears on."""

    def __init__(self, result: ImportResult, actor):
        self.actor = actor
        self.made: dict[str, Device] = {}
        self.lines: dict[str, int] = {}
        for row in result.rows:
            name = row.values.get("name", "")
            if not name:
                continue
            if name in self.lines:
                row.errors.append(
                    f"name: {name} appears twice in the file (line {self.lines[name]})."
                )
            else:
                self.lines[name] = row.line

    def _parent(self, row: ImportRow, name: str) -> tuple[Device | None, str]:
        parent = self.made.get(name) or Device.objects.filter(name=name).first()
        if parent is not None:
            return parent, ""
        line = self.lines.get(name)
        if line is not None and line < row.line:
            return None, f"{name} (line {line}) is not imported: fix its errors first."
        if line is not None:
            return None, (f"{name} is on a later line ({line}): a device's uplink must come "
                          "before it in the file.")  # fmt: skip
        return None, f"no device named {name!r}."

    def fields(self, row: ImportRow) -> tuple[dict, dict]:
        """The create's fields of a row, and what could not be resolved (field → message)."""
        values = row.values
        fields = {name: values[name] for name in PLAIN if values.get(name)}
        fields["role"] = _choice(values.get("role", ""), Device.Role.choices)
        if values.get("status"):
            fields["status"] = _choice(values["status"], Device.Status.choices)
        if values.get("mac"):
            fields["mac"] = values["mac"]
        problems = {}
        if values.get("site"):
            fields["site"] = _site(values["site"])
            if fields["site"] is None:
                problems["site"] = f"no site named {values['site']!r}."
        if values.get("parent"):
            fields["parent"], problems["parent"] = self._parent(row, values["parent"])
        if values.get("management_ip"):
            fields["management_ip"], problems["management_ip"] = _management_ip(
                values["management_ip"]
            )
        return fields, {name: message for name, message in problems.items() if message}

    def write(self, row: ImportRow) -> None:
        """Create the row's device; a row with a name, site, uplink or address that does not
        resolve is still tried without it, so that the preview shows all its errors, and then
        undone (the kit runs each row in a savepoint)."""
        fields, unresolved = self.fields(row)
        try:
            device = device_create(actor=self.actor, **fields)
        except ValidationError as error:
            found = error.update_error_dict({})
            raise ValidationError({**unresolved, **found}) from error
        except IntegrityError as error:  # a device written meanwhile, past the checks
            raise ValidationError(
                "This row conflicts with a device saved at the same time: try again."
            ) from error
        if unresolved:
            raise ValidationError(unresolved)
        self.made[device.name] = device


def device_import(*, text: str, actor=None, dry_run: bool = False) -> ImportResult:
    """Import the devices of a CSV text, all or none. A dry run answers each row's errors and
    writes nothing; a real run raises the refusal (ImportRejected: 400 VALIDATION_ERROR with
    one detail per row error) having written nothing."""
    result = read_import(text, kind=KIND, columns=COLUMNS, max_bytes=DEVICE_IMPORT_MAX_BYTES,
                         max_rows=DEVICE_IMPORT_MAX_ROWS)  # fmt: skip
    if result.refusal is not None:
        if not dry_run:
            result.reject()
        return result
    return write_all_or_none(result, _Rows(result, actor).write, dry_run=dry_run)

"""CSV import and export of accounts, contacts and leads (opportunities: export only).

An import is checked row by row first (the preview shows each row's errors); it is then
written in one transaction, all rows or none: one bad row, and nothing is imported (the CSV
import kit, apps.core.kit.csvimport, reads the file and writes all rows or none).
"""

import csv
import io

from django.core.exceptions import ValidationError

from apps.core.db.replica import replica
from apps.core.exceptions import PermissionDeniedError
from apps.core.kit.csvimport import (
    ImportResult,
    ImportRow,
    read_import,
    spreadsheet_safe,
    write_all_or_none,
)
from apps.crm import selectors
from apps.crm.constants import IMPORT_MAX_BYTES, IMPORT_MAX_ROWS, LeadStatus
from apps.crm.forms import AccountForm, ContactForm, LeadForm
from apps.crm.models.accounts import domain_of
from apps.crm.services import leads, ownership, records
from apps.identity.models import User

#: kind → (columns in order, form validating one row, service creating it)
COLUMNS = {
    "accounts": ["name", "domain", "website", "industry", "email", "phone", "street", "city",
                 "postal_code", "region", "country", "tags", "owner"],
    "contacts": ["account", "first_name", "last_name", "title", "email", "phone", "street",
                 "city", "postal_code", "region", "country", "tags", "owner"],
    "leads": ["first_name", "last_name", "company", "title", "email", "phone", "website",
              "source", "status", "score", "tags", "owner"],
}  # fmt: skip
EXPORT_COLUMNS = {
    **COLUMNS,
    "opportunities": ["name", "account", "contact", "stage", "amount", "expected_close_date",
                      "lost_reason", "tags", "owner"],
}  # fmt: skip
FORMS = {"accounts": AccountForm, "contacts": ContactForm, "leads": LeadForm}
CREATE = {
    "accounts": records.account_create,
    "contacts": records.contact_create,
    "leads": leads.lead_create,
}


def _check_row(kind: str, row: ImportRow, importer: User, seen: dict) -> ImportRow:
    number = row.line
    data = dict(row.values)
    owner = importer
    if data.get("owner"):
        owner = User.objects.filter(username=data["owner"], is_active=True).first()
        if owner is None:
            row.errors.append(f"owner: no user named {data['owner']!r}.")
    if owner is not None:
        try:
            ownership.ensure_may_give(actor=importer, owner=owner)
            ownership.ensure_may_own(owner)
        except PermissionDeniedError as refusal:
            row.errors.append(f"owner: {refusal.message}")
        except ValidationError as error:
            row.errors += [f"owner: {m}" for m in error.message_dict.get("owner", [])]
    if kind == "contacts":
        name = data.get("account", "")
        account = selectors.accounts(importer).filter(name__iexact=name).first() if name else None
        if account is None and name:
            account = selectors.accounts(importer).filter(domain=domain_of(name)).first()
        if account is None:
            row.errors.append(f"account: no account named {name!r}." if name else
                              "account: this field is required.")  # fmt: skip
        data["account"] = account.pk if account else ""
    if kind == "leads":
        data.setdefault("source", "other")
        data["source"] = data.get("source") or "other"
        data["status"] = data.get("status") or LeadStatus.NEW
        data["score"] = data.get("score") or "0"
    form = FORMS[kind](data=data, user=importer)
    form.fields.pop("owner", None)
    form.instance.owner = owner or importer
    if form.is_valid():
        row.cleaned = {**form.cleaned_data, "owner": owner or importer}
    else:
        for name, messages in form.errors.items():
            label = "row" if name == "__all__" else name
            if name == "account" and kind == "contacts" and not data["account"]:
                continue  # already said which account is missing
            row.errors += [f"{label}: {message}" for message in messages]
    key = {"accounts": "domain", "contacts": "email", "leads": "email"}[kind]
    value = (row.cleaned.get(key) or "").lower()
    if kind == "accounts" and not value:
        value = domain_of(row.cleaned.get("website") or "")
    if value:
        if value in seen:
            row.errors.append(f"{key}: {value} appears twice in the file (line {seen[value]}).")
        else:
            seen[value] = number
    return row


def csv_check(*, kind: str, text: str, importer: User) -> ImportResult:
    """Every row validated, nothing written: what the preview shows."""
    if kind not in COLUMNS:
        return ImportResult(kind, [], problems=[f"Cannot import {kind}."])
    result = read_import(text, kind=kind, columns=COLUMNS[kind], max_bytes=IMPORT_MAX_BYTES,
                         max_rows=IMPORT_MAX_ROWS)  # fmt: skip
    seen: dict = {}
    for row in result.rows:
        _check_row(kind, row, importer, seen)
    return result


def csv_import(*, kind: str, text: str, importer: User) -> ImportResult:
    """Import every row, or none: raises ImportRejected (with each row's errors) if any row is
    invalid, including errors only the database finds once earlier rows are written."""
    result = csv_check(kind=kind, text=text, importer=importer)
    result.reject()
    create = CREATE[kind]

    def write(row: ImportRow) -> None:
        data = {k: v for k, v in row.cleaned.items() if v not in (None, "") or k == "tags"}
        create(actor=importer, **data)

    return write_all_or_none(result, write)


@replica()
def csv_export(*, kind: str, queryset) -> str:
    """The records as CSV, in the import's columns (a round trip re-imports them), read from
    the standby when there is one (apps/core/db/replica.py)."""
    out = io.StringIO()
    writer = csv.writer(out)
    columns = EXPORT_COLUMNS[kind]
    writer.writerow(columns)
    for obj in queryset:
        row = []
        for column in columns:
            value = getattr(obj, column, "")
            if column == "owner":
                value = obj.owner.get_username()
            elif column == "tags":
                value = ", ".join(obj.tags)
            elif column in ("account", "contact", "stage"):
                value = "" if value is None else str(value)
            row.append("" if value is None else spreadsheet_safe(value, numbers_as_is=True))
        writer.writerow(row)
    return out.getvalue()

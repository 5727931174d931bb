"""The CSV import kit: what every app's import of records from a CSV file shares, so that an
app only says its columns and how one row is written.

    result = read_import(text, kind="devices", columns=COLUMNS, max_bytes=..., max_rows=...)
    write_all_or_none(result, write_row, dry_run=False)   # raises ImportRejected

- **Reading** (`read_import`): the text's rows, bounded in size and rows, or the file's
  problems (too large, NUL bytes, not CSV at all, empty, no rows, unknown columns).
- **The result** (`ImportResult`): each row with its line in the file (the header is line 1)
  and its errors; `details()` is the API envelope's one detail per error (`row 3: ...`).
- **Writing** (`write_all_or_none`): every row in one transaction, each in a savepoint so that
  one refused row does not stop the others being checked; a ValidationError is that row's
  errors. Any error, or a dry run, and nothing is written. A refusal of the whole file (a
  plan's limit) is `result.refusal`, raised as it is.
- **Pages** (`CsvImportPage`): upload → preview with each row's errors → confirm, the file
  kept in the session between the two; the confirm counts against the hourly bulk budget.
"""

import csv
import io
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect

from apps.core.errors import ErrorCode
from apps.core.exceptions import DomainError
from apps.core.kit.pages import Page
from apps.core.throttling import bulk_rate_hit

__all__ = [
    "CsvImportPage",
    "CsvUploadForm",
    "ImportRejected",
    "ImportResult",
    "ImportRow",
    "read_csv",
    "read_import",
    "validation_messages",
    "write_all_or_none",
]


class ImportRejected(DomainError):
    """Some rows are invalid: nothing was imported (details: one entry per row error)."""

    code = ErrorCode.VALIDATION_ERROR


@dataclass
class ImportRow:
    line: int  # line in the file (the header is line 1)
    values: dict
    errors: list[str] = field(default_factory=list)
    cleaned: dict = field(default_factory=dict)


@dataclass
class ImportResult:
    kind: str
    rows: list[ImportRow]
    created: int = 0
    problems: list[str] = field(default_factory=list)  # file-level problems
    #: A refusal of the whole file (a plan's limit the file would pass), raised as it is.
    refusal: DomainError | None = None

    @property
    def ok(self) -> bool:
        return (
            not self.problems and self.refusal is None and not any(row.errors for row in self.rows)
        )

    @property
    def error_count(self) -> int:
        refused = 1 if self.refusal is not None else 0
        return refused + len(self.problems) + sum(1 for row in self.rows if row.errors)

    @property
    def message(self) -> str:
        return f"{self.error_count} problem(s) found; nothing was imported."

    def file_problems(self) -> list[str]:
        """What is wrong with the file as a whole (the preview lists them above the rows)."""
        return [*([self.refusal.message] if self.refusal is not None else []), *self.problems]

    def details(self) -> list[dict]:
        out = [{"field": "file", "message": problem} for problem in self.file_problems()]
        for row in self.rows:
            out += [{"field": f"row {row.line}", "message": error} for error in row.errors]
        return out

    def answer(self) -> dict:
        """What the API's import action answers (ImportResultSerializer)."""
        return {"kind": self.kind, "rows": len(self.rows), "created": self.created,
                "ok": self.ok, "errors": self.details()}  # fmt: skip

    def reject(self) -> None:
        """Raise what refuses this result: the whole file's refusal, or the rows' errors."""
        if self.refusal is not None:
            raise self.refusal
        if not self.ok:
            raise ImportRejected(self.message, self.details())


#: A cell starting with one of these is run as a formula by spreadsheets (CSV injection, OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value, *, numbers_as_is: bool = False) -> str:
    """A cell of an exported CSV: quoted with a leading ' when a spreadsheet would run it as a
    formula; with `numbers_as_is`, a number (a negative amount) is left as it is."""
    text = str(value)
    if text[:1] not in FORMULA_STARTS:
        return text
    if numbers_as_is:
        try:
            float(text)
        except ValueError:
            pass
        else:
            return text
    return f"'{text}"


def _size(max_bytes: int) -> str:
    if max_bytes >= 1024 * 1024:
        return f"{max_bytes / 1024 / 1024:g} MB"
    return f"{max_bytes / 1024:g} KB"


def read_csv(text: str, *, max_bytes: int, max_rows: int) -> tuple[list[dict], list[str]]:
    """The rows of a CSV text (header names lower-cased, values stripped), or the file's
    problems (too large, empty, not CSV at all: a stray carriage return, a field past the csv
    module's limit, binary data)."""
    if len(text.encode()) > max_bytes:
        return [], [f"The file is larger than {_size(max_bytes)}."]
    if "\x00" in text:
        return [], ["The file is not CSV text (it holds NUL characters)."]
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    rows = []
    try:
        if not reader.fieldnames:
            return [], ["The file is empty."]
        for row in reader:
            rows.append(
                {(k or "").strip().lower(): (v or "").strip() if isinstance(v, str) else ""
                 for k, v in row.items() if k}
            )  # fmt: skip
            if len(rows) > max_rows:
                return [], [f"At most {max_rows} rows per import."]
    except csv.Error as error:
        return [], [f"Line {reader.line_num}: this is not valid CSV ({error})."]
    if not rows:
        return [], ["The file has a header but no rows."]
    return rows, []


def read_import(
    text: str, *, kind: str, columns: Iterable[str], max_bytes: int, max_rows: int
) -> ImportResult:
    """The file's rows, numbered by their line (no errors yet), or its problems; a column the
    import does not know is a problem of the file."""
    values, problems = read_csv(text, max_bytes=max_bytes, max_rows=max_rows)
    if problems:
        return ImportResult(kind, [], problems=problems)
    columns = list(columns)
    unknown = sorted(set(values[0]) - set(columns))
    if unknown:
        problems.append(f"Unknown columns: {', '.join(unknown)}. Expected: {', '.join(columns)}.")
    rows = [ImportRow(line=n, values=row) for n, row in enumerate(values, start=2)]
    return ImportResult(kind, rows, problems=problems)


def validation_messages(error: ValidationError) -> list[str]:
    """A ValidationError as a row's errors: `field: message` (`row: ...` for the whole row)."""
    if not hasattr(error, "error_dict"):
        return list(error.messages)
    return [f"{'row' if name == '__all__' else name}: {message}"
            for name, msgs in error.message_dict.items() for message in msgs]  # fmt: skip


class _DryRun(Exception):
    """Leaves the transaction of a dry run, undoing what it wrote."""


def write_all_or_none(
    result: ImportResult, write: Callable[[ImportRow], None], *, dry_run: bool = False
) -> ImportResult:
    """Write every row of `result` with `write(row)`, in one transaction: each row in a
    savepoint (a refused row is undone alone, and the rows after it are still tried, so that
    every row's errors are found); a ValidationError is the row's errors, a DomainError of
    the whole file (a plan's limit) stops the import as `result.refusal`. Any error, or a dry
    run, and everything is undone; a real run then raises the refusal (ImportRejected, with
    one detail per row error). Rows already found invalid are not written."""
    if result.problems or not result.rows:
        if not dry_run:
            result.reject()
        return result
    try:
        with transaction.atomic():
            for row in result.rows:
                if row.errors:
                    continue
                try:
                    with transaction.atomic():
                        write(row)
                except ValidationError as error:
                    row.errors += validation_messages(error)
                except DomainError as refusal:
                    result.refusal = refusal
                    break
            if dry_run or not result.ok:
                raise _DryRun
    except _DryRun:
        pass
    if not dry_run:
        result.reject()
        result.created = len(result.rows)
    return result


# --- Pages -------------------------------------------------------------------------------------


class CsvUploadForm(forms.Form):
    file = forms.FileField(help_text="UTF-8 CSV with a header row.")


class CsvImportPage(Page):
    """Upload → preview with each row's errors → confirm: all rows or none.

    An app's page names its templates, the session key of the pending file, the size bound,
    and says how a file is checked and imported (`check(pending)`, `run(pending)`, both
    answering an ImportResult; `run` raises the refusal) and where a done import goes."""

    upload_template = ""
    preview_template = ""
    session_key = ""
    max_bytes = 0
    form_class = CsvUploadForm
    #: The page to go back to when nothing is pending (a URL name).
    upload_url = ""

    def check(self, pending: dict) -> ImportResult:
        raise NotImplementedError

    def run(self, pending: dict) -> ImportResult:
        raise NotImplementedError

    def done(self, pending: dict, result: ImportResult):
        """Where a done import goes (with its success message)."""
        raise NotImplementedError

    def pending_of(self, form, text: str) -> dict:
        """What the session keeps of an upload until it is confirmed."""
        return {"text": text}

    def upload_context(self) -> dict:
        return {}

    def preview_context(self, pending: dict) -> dict:
        return {}

    def upload(self, form, status: int = 200):
        return self.render(self.upload_template, status=status, form=form,
                           **self.upload_context())  # fmt: skip

    def preview(self, pending: dict, result: ImportResult, status: int, **context):
        return self.render(self.preview_template, status=status, result=result,
                           **self.preview_context(pending), **context)  # fmt: skip

    @staticmethod
    def status_of(result: ImportResult) -> int:
        if result.ok:
            return 200
        return 403 if result.refusal is not None else 400

    def get(self, request, *args, **kwargs):
        return self.upload(self.form_class())

    def post(self, request, *args, **kwargs):
        if request.POST.get("confirm"):
            return self.confirm(request)
        form = self.form_class(request.POST, request.FILES)
        if not form.is_valid():
            return self.upload(form, status=400)
        try:
            text = form.cleaned_data["file"].read(self.max_bytes + 1).decode("utf-8-sig")
        except UnicodeDecodeError:
            form.add_error("file", "The file is not UTF-8 text.")
            return self.upload(form, status=400)
        pending = self.pending_of(form, text)
        result = self.check(pending)
        if result.ok:
            request.session[self.session_key] = pending
        return self.preview(pending, result, self.status_of(result))

    def confirm(self, request):
        pending = request.session.get(self.session_key)
        if not pending:
            messages.error(request, "Nothing to import: upload the file again.")
            return redirect(self.upload_url)
        attempt = bulk_rate_hit(request)
        if not attempt.allowed:  # the upload stays pending: confirm again later
            minutes = math.ceil(attempt.retry_after / 60)
            messages.error(
                request,
                f"Too many bulk operations ({attempt.limit} an hour): confirm this import again "
                f"in {minutes} minute{'s' if minutes != 1 else ''}.",
            )
            response = self.preview(pending, self.check(pending), 429)
            response["Retry-After"] = str(attempt.retry_after)
            return response
        del request.session[self.session_key]
        try:
            result = self.run(pending)
        except DomainError as rejected:
            result = self.check(pending)
            messages.error(request, rejected.message)
            return self.preview(pending, result, 403 if result.refusal else 400,
                                rejected=rejected.details)  # fmt: skip
        return self.done(pending, result)

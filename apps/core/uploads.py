"""Uploaded files, for every app the same way: what a file is (recognised from its first bytes,
bounded in size), its safe name, and the ONE place a file is written under the tenant's storage
prefix, `file_save`, which first asks the tenant's quotas (registry.upload_guard, set by
apps.platform.metering): past its file storage or database quota an upload is refused with
LimitExceededError (403 LIMIT_EXCEEDED in the API) before anything is written, no file and
(the caller's transaction rolling back) no row.

    content_type = upload_check(file, max_bytes=10 * 1024 * 1024)
    row = Attachment(task=task, name=safe_name(file.name), content_type=content_type, ...)
    file_save(row.file, row.name, file)      # refused past quota: nothing written
    return record_create(row, actor=actor)
"""

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models.fields.files import FieldFile
from django.utils.text import get_valid_filename

from apps.core import usage
from apps.core.registry import registry

__all__ = ["FILE_TYPES", "file_save", "quota_check", "safe_name", "sniff", "upload_check"]

#: Types recognised from their magic bytes (webp and plain text are recognised apart).
FILE_TYPES = {
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
    "image/gif": b"GIF8",
    "application/pdf": b"%PDF-",
}
DEFAULT_TYPES = frozenset({*FILE_TYPES, "image/webp", "text/plain"})


def sniff(head: bytes) -> str | None:
    """The content type of a file starting with `head`, or None when it is none we accept."""
    for content_type, magic in FILE_TYPES.items():
        if head.startswith(magic):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if b"\x00" in head:
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:  # a multi-byte character cut at the end is still text
        if error.start < len(head) - 3:
            return None
    return "text/plain"


def upload_check(file: UploadedFile, *, max_bytes: int, types: set[str] | None = None) -> str:
    """The upload's type, recognised from its first bytes; refused (400, `file`) when too big
    or not one of `types` (default: images, PDF and plain text)."""
    allowed = types or DEFAULT_TYPES
    if file.size is None or file.size > max_bytes:
        raise ValidationError({"file": f"A file may be at most {max_bytes // (1024 * 1024)} MB."})
    if file.size == 0:
        raise ValidationError({"file": "The file is empty."})
    file.seek(0)
    head = file.read(2048)
    file.seek(0)
    content_type = sniff(head)
    if content_type not in allowed:
        kinds = ", ".join(sorted(allowed))
        raise ValidationError({"file": f"This kind of file is not accepted (accepted: {kinds})."})
    return content_type


def safe_name(name: str) -> str:
    """A file name safe to store: no directories, only safe characters, at most 100 long."""
    base = get_valid_filename(name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]) or "file"
    return base[-100:]


def quota_check(size: int) -> None:
    """Refuse (LimitExceededError) writing `size` more bytes for the current tenant when its
    file storage or database quota would be passed. Without metering installed: no quota."""
    if registry.upload_guard is not None:
        registry.upload_guard(int(size))


def file_save(field_file: FieldFile, name: str, content) -> None:
    """Write `content` as the file of `field_file` (under the tenant's storage prefix), after
    the quota check; the row itself is saved by the caller (`save=False`)."""
    size = int(getattr(content, "size", None) or 0)
    quota_check(size)
    field_file.save(name, content, save=False)
    usage.count_upload(size=size)

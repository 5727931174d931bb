"""Files attached to tasks, kept under the tenant's storage prefix (django-tenants' storage),
bounded in size, number and type: the type is recognised from the content, not from the name
(after the ISP's ticket attachments, apps/isp/services/support.py)."""

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.text import get_valid_filename

from apps.core.kit.writes import record_create, record_delete
from apps.projects.constants import ATTACHMENT_MAX_BYTES, ATTACHMENTS_PER_TASK
from apps.projects.models import Task, TaskAttachment
from apps.projects.services.access import ensure_sees, user_of

__all__ = ["ATTACHMENT_TYPES", "attachment_add", "attachment_delete"]

#: Accepted types and their first bytes (plain text: valid UTF-8 without NUL bytes).
ATTACHMENT_TYPES = {
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
    "image/gif": b"GIF8",
    "application/pdf": b"%PDF-",
}
ACCEPTED = ", ".join(sorted([*ATTACHMENT_TYPES, "image/webp", "text/plain"]))


def content_type_of(head: bytes) -> str | None:
    for content_type, magic in ATTACHMENT_TYPES.items():
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


def _checked(file: UploadedFile) -> str:
    if file.size is None or file.size > ATTACHMENT_MAX_BYTES:
        raise ValidationError({"file": f"A file may be at most "
                                       f"{ATTACHMENT_MAX_BYTES // (1024 * 1024)} MB."})  # fmt: skip
    if file.size == 0:
        raise ValidationError({"file": "The file is empty."})
    file.seek(0)
    head = file.read(2048)
    file.seek(0)
    content_type = content_type_of(head)
    if content_type is None:
        raise ValidationError({"file": f"This kind of file is not accepted (accepted: "
                                       f"{ACCEPTED})."})  # fmt: skip
    return content_type


def _safe_name(name: str) -> str:
    base = get_valid_filename(name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]) or "file"
    return base[-100:]


@transaction.atomic
def attachment_add(*, task: Task, file: UploadedFile, actor=None) -> TaskAttachment:
    """Attach a file to the task (at most 10 MB: images, PDF or plain text)."""
    ensure_sees(actor, task, "task")
    content_type = _checked(file)
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.attachments.count() >= ATTACHMENTS_PER_TASK:
        raise ValidationError({"file": f"A task holds at most {ATTACHMENTS_PER_TASK} files."})
    name = _safe_name(file.name or "file")
    attachment = TaskAttachment(task=task, name=name, content_type=content_type, size=file.size,
                                uploaded_by=user_of(actor))  # fmt: skip
    attachment.file.save(name, file, save=False)
    return record_create(attachment, actor=actor)


@transaction.atomic
def attachment_delete(*, attachment: TaskAttachment, actor=None) -> None:
    """Delete the attachment and, once committed, its file."""
    file = attachment.file
    record_delete(attachment, actor=actor)
    transaction.on_commit(lambda: file.storage.delete(file.name))

"""Files attached to tasks, kept under the tenant's storage prefix (django-tenants' storage),
bounded in size, number and type: the type is recognised from the content, not from the name
and counted against its storage quota (apps.core.uploads, as every upload)."""

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from apps.core.kit.writes import record_create, record_delete
from apps.core.uploads import file_save, safe_name, upload_check
from apps.projects.constants import ATTACHMENT_MAX_BYTES, ATTACHMENTS_PER_TASK
from apps.projects.models import Task, TaskAttachment
from apps.projects.services.access import ensure_sees, user_of

__all__ = ["attachment_add", "attachment_delete"]


@transaction.atomic
def attachment_add(*, task: Task, file: UploadedFile, actor=None) -> TaskAttachment:
    """Attach a file to the task (at most 10 MB: images, PDF or plain text)."""
    ensure_sees(actor, task, "task")
    content_type = upload_check(file, max_bytes=ATTACHMENT_MAX_BYTES)
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.attachments.count() >= ATTACHMENTS_PER_TASK:
        raise ValidationError({"file": f"A task holds at most {ATTACHMENTS_PER_TASK} files."})
    name = safe_name(file.name or "file")
    attachment = TaskAttachment(task=task, name=name, content_type=content_type, size=file.size,
                                uploaded_by=user_of(actor))  # fmt: skip
    file_save(attachment.file, name, file)  # the tenant's storage quota first
    return record_create(attachment, actor=actor)


@transaction.atomic
def attachment_delete(*, attachment: TaskAttachment, actor=None) -> None:
    """Delete the attachment and, once committed, its file."""
    file = attachment.file
    record_delete(attachment, actor=actor)
    transaction.on_commit(lambda: file.storage.delete(file.name))

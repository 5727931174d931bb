"""Task checklists (steps with a done flag, in order) and attachments (files under the
tenant's storage prefix, bounded in size and type): members see and change them, a non-member
gets 404, another tenant too; the task page shows and toggles them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from apps.projects.models import ChecklistItem, TaskAttachment
from apps.projects.services import checklists
from apps.projects.services import projects as services
from tests.conftest import HostClient, host_of
from tests.projects.factories import PNG, TaskFactory

API = "/api/v1/projects"

pytestmark = pytest.mark.django_db


def patch(api, path, data):
    return api.patch(path, data, content_type="application/json")


@pytest.fixture
def task(crew, tenant_b):
    with schema_context(tenant_b.schema_name):
        project = services.project_create(name="Quay splice", actor=crew["pm"])
        task = TaskFactory(project=project, title="Splice the closure")
    crew.member(project, "dev")
    return task


def items_of(tenant, task) -> list[tuple[str, bool]]:
    with schema_context(tenant.schema_name):
        return list(ChecklistItem.objects.filter(task=task).order_by("position", "id")
                    .values_list("text", "done"))  # fmt: skip


def test_a_member_builds_and_ticks_off_a_checklist_in_order(crew, task, tenant_b):
    dev = crew.api("dev")
    made = [dev.post_json(f"{API}/checklist-items/", {"task": task.pk, "text": text})
            for text in ("Clean the fibres", "Splice", "Test with the OTDR")]  # fmt: skip
    assert [r.status_code for r in made] == [201, 201, 201], made[0].content
    ids = [r.json()["data"]["id"] for r in made]

    ticked = patch(dev, f"{API}/checklist-items/{ids[1]}/", {"done": True})
    moved = patch(dev, f"{API}/checklist-items/{ids[2]}/", {"position": 0})
    listed = dev.get(f"{API}/checklist-items/?task={task.pk}&ordering=position").json()

    assert ticked.status_code == 200, ticked.content
    attributes = ticked.json()["data"]["attributes"]
    assert attributes["done"] is True
    assert attributes["done_at"] is not None
    assert attributes["done_by"] == crew["dev"].pk
    assert moved.status_code == 200
    assert [row["attributes"]["text"] for row in listed["data"]] == [
        "Test with the OTDR", "Clean the fibres", "Splice"]  # fmt: skip
    assert items_of(tenant_b, task)[2] == ("Splice", True)


def test_a_checklist_is_a_404_to_a_non_member_and_to_another_tenant(crew, task, tenant_b):
    with schema_context(tenant_b.schema_name):
        item = checklists.checklist_item_create(task=task, text="Survey")
    stranger = crew.api("stranger")

    assert stranger.get(f"{API}/checklist-items/{item.pk}/").status_code == 404
    assert patch(stranger, f"{API}/checklist-items/{item.pk}/",
                               {"done": True}).status_code == 404  # fmt: skip
    refused = stranger.post_json(f"{API}/checklist-items/", {"task": task.pk, "text": "Mine"})
    assert refused.status_code == 400
    assert stranger.get(f"{API}/checklist-items/").json()["meta"]["pagination"]["count"] == 0
    other = HostClient(host_of("tenant-c")).sign_in()
    assert other.get(f"/projects/tasks/{task.pk}/").status_code == 404
    assert items_of(tenant_b, task) == [("Survey", False)]


def test_a_checklist_is_bounded(crew, task, tenant_b, monkeypatch):
    monkeypatch.setattr(checklists, "MAX_CHECKLIST_ITEMS", 2)
    dev = crew.api("dev")
    for text in ("One", "Two"):
        assert (
            dev.post_json(f"{API}/checklist-items/", {"task": task.pk, "text": text}).status_code
            == 201
        )
    refused = dev.post_json(f"{API}/checklist-items/", {"task": task.pk, "text": "Three"})

    assert refused.status_code == 400
    assert "at most 2" in refused.json()["error"]["details"][0]["message"]
    assert len(items_of(tenant_b, task)) == 2


def test_the_task_page_shows_and_toggles_the_checklist(crew, task, tenant_b):
    dev = crew.browser("dev")

    added = dev.post(f"/projects/tasks/{task.pk}/checklist/", {"text": "Label the cable"})
    with schema_context(tenant_b.schema_name):
        item = ChecklistItem.objects.get(task=task)
    toggled = dev.post(f"/projects/tasks/{task.pk}/checklist/", {"item": item.pk, "done": "1"})
    html = dev.get(f"/projects/tasks/{task.pk}/").content.decode()

    assert (added.status_code, toggled.status_code) == (302, 302)
    assert 'id="checklist"' in html
    assert "Label the cable" in html
    assert f'<li class="done" id="step-{item.pk}">' in html
    assert items_of(tenant_b, task) == [("Label the cable", True)]
    deleted = dev.post(f"/projects/tasks/{task.pk}/checklist/", {"item": item.pk, "delete": "1"})
    assert deleted.status_code == 302
    assert items_of(tenant_b, task) == []
    stranger = crew.browser("stranger")
    assert stranger.post(f"/projects/tasks/{task.pk}/checklist/",
                         {"text": "Sneaky"}).status_code == 404  # fmt: skip
    assert items_of(tenant_b, task) == []


def test_an_attachment_is_kept_under_the_tenants_prefix_and_downloaded(crew, task, tenant_b):
    dev = crew.api("dev")
    upload = SimpleUploadedFile("closure photo.png", PNG, content_type="image/png")

    response = dev.post(f"{API}/tasks/{task.pk}/attachments/", {"file": upload})

    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["attributes"]["content_type"] == "image/png"
    assert data["attributes"]["size"] == len(PNG)
    with schema_context(tenant_b.schema_name):
        attachment = TaskAttachment.objects.get(task=task)
        assert attachment.file.path.split("/tenants/")[1].startswith(
            f"{tenant_b.schema_name}/projects/tasks/{task.pk}/")  # fmt: skip
    download = dev.get(f"{API}/attachments/{attachment.pk}/download/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG
    page = crew.browser("pm").get(f"/projects/tasks/{task.pk}/files/{attachment.pk}/")
    assert page.status_code == 200
    assert page["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("evil.png", b"MZ\x90\x00\x03" + b"\xff\x00" * 100, "not accepted"),  # a program
        ("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "at most 10 MB"),
        ("empty.txt", b"", "empty"),
    ],
)
def test_an_attachment_too_big_or_of_another_type_is_a_clear_400(crew, task, tenant_b, name,
                                                                 content, problem):  # fmt: skip
    upload = SimpleUploadedFile(name, content, content_type="image/png")

    response = crew.api("dev").post(f"{API}/tasks/{task.pk}/attachments/", {"file": upload})

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"][0]["field"] == "file"
    assert problem in error["details"][0]["message"]
    with schema_context(tenant_b.schema_name):
        assert not TaskAttachment.objects.exists()


def test_attachments_are_404_to_a_non_member_and_deleted_by_uploader_or_manager(crew, task):
    dev = crew.api("dev")
    upload = SimpleUploadedFile("notes.txt", b"Closure 4 needs a new tray.\n")
    made = dev.post(f"{API}/tasks/{task.pk}/attachments/", {"file": upload}).json()["data"]
    stranger = crew.api("stranger")
    late = SimpleUploadedFile("x.txt", b"hello")

    assert made["attributes"]["content_type"] == "text/plain"
    assert stranger.get(f"{API}/attachments/{made['id']}/").status_code == 404
    assert stranger.get(f"{API}/attachments/{made['id']}/download/").status_code == 404
    assert stranger.delete(f"{API}/attachments/{made['id']}/").status_code == 404
    assert stranger.post(f"{API}/tasks/{task.pk}/attachments/", {"file": late}).status_code == 404
    assert crew.browser("stranger").get(
        f"/projects/tasks/{task.pk}/files/{made['id']}/").status_code == 404  # fmt: skip
    crew.member(task.project, "stranger")  # a member now, but not the uploader
    assert stranger.delete(f"{API}/attachments/{made['id']}/").status_code == 403
    assert crew.api("pm").delete(f"{API}/attachments/{made['id']}/").status_code == 204
    assert dev.get(f"{API}/attachments/?task={task.pk}").json()["meta"]["pagination"]["count"] == 0


def test_a_file_attached_on_the_task_page_is_listed(crew, task):
    pm = crew.browser("pm")
    upload = SimpleUploadedFile("permit.pdf", b"%PDF-1.4 permit")

    response = pm.post(f"/projects/tasks/{task.pk}/files/", {"file": upload})
    html = pm.get(f"/projects/tasks/{task.pk}/").content.decode()

    assert response.status_code == 302
    assert "permit.pdf" in html
    assert 'id="files"' in html

"""The technician app in real headless Chromium at a phone's size (390×844) against gunicorn,
as Tom (the Field Tech role: the technician app only): the day's jobs in time order; a job
worked through to completion with its checklist, a photo and the customer's signature; then,
with the browser context offline, a status change queued by the service worker and applied
exactly once when the connection is back. Tom opens no other app; another technician's job is
a 404. Runs on tenant B (see tests/isp/test_browser_isp.py); what it committed is removed."""

import datetime
import time

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.committed import committed

pytestmark = pytest.mark.slow

SLUG, SCHEMA = "tenant-b", "tenant_b"
PASSWORD = "tom-browser-password-1"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def _setup() -> dict:
    from apps.identity import services as identity
    from apps.identity.models import Role
    from apps.isp.services.customers import customer_create
    from apps.isp.services.field import work_order_create

    with schema_context(SCHEMA):
        role = Role.objects.get(name="Field Tech")
        tom = identity.user_create(username="tom", password=PASSWORD, email="tom@example.com")
        identity.role_grant(user=tom, role=role)
        bob = identity.user_create(username="bob-tech", password=PASSWORD)
        identity.role_grant(user=bob, role=role)
        today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)

        def job(tech, name, street, hour, checklist):
            customer = customer_create(name=name, email=f"{name.split()[0].lower()}@tech.test",
                                       service_street=street, service_city="Leeds")  # fmt: skip
            start = today + datetime.timedelta(hours=hour)
            return work_order_create(kind="repair", customer=customer, technician=tech,
                                     slot_start=start, slot_end=start + datetime.timedelta(hours=1),
                                     checklist=checklist).pk  # fmt: skip

        return {
            "late": job(tom, "Lena Late", "9 Evening Road", 15, ["Check the ONT"]),
            "early": job(
                tom, "Ed Early", "1 Morning Lane", 8, ["Replace the patch lead", "Speed test"]
            ),
            "other": job(bob, "Olga Other", "5 Elsewhere", 9, []),
        }


def _state(pk: int) -> dict:
    from apps.isp.models import WorkOrder

    with schema_context(SCHEMA):
        job = WorkOrder.objects.get(pk=pk)
        return {
            "status": job.status,
            "events": list(job.events.values_list("to_status", flat=True)),
            "files": sorted(job.files.values_list("kind", flat=True)),
            "undone": job.checklist.filter(done=False).count(),
        }


def _purge() -> None:
    from apps.identity.models import User
    from apps.isp.models import Customer, WorkOrder

    with schema_context(SCHEMA):
        WorkOrder.objects.filter(customer__email__endswith="@tech.test").delete()
        Customer.objects.filter(email__endswith="@tech.test").delete()
        User.objects.filter(username__in=["tom", "bob-tech"]).delete()


def until(page, expression: str, arg=None, timeout: float = 15) -> None:
    """Wait for a page expression to hold. Polled from here with evaluate (DevTools', which
    the page's CSP allows): Playwright's wait_for_function evaluates a string, refused by the
    CSP's script-src (no 'unsafe-eval')."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        time.sleep(0.1)


def _status(page, label: str) -> None:
    page.wait_for_selector(f"#job-status:has-text('{label}')", timeout=30_000)


def test_tom_works_his_day_on_a_phone_and_an_offline_change_is_applied_once(tenant_page):
    jobs = committed(_setup)
    try:
        tab = tenant_page(SLUG)
        page = tab.page
        page.set_viewport_size({"width": 390, "height": 844})
        tab.sign_in("tom", PASSWORD)

        tab.goto("/tech/")
        customers = page.locator(".job-customer").all_inner_texts()
        assert customers == ["Ed Early", "Lena Late"]  # time order; Olga is Bob's
        assert "1 Morning Lane" in page.inner_text("#jobs")
        assert page.locator(".map-link").count() == 2
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # fits the phone

        with page.expect_navigation():
            page.click("text=Ed Early")
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.click("#status-en_route")
        _status(page, "En route")
        page.click("#status-on_site")
        _status(page, "On site")
        for index in range(2):
            box = page.locator(".check-item input[type=checkbox]").nth(index)
            # A tick is sent with fetch and the page then reloads: wait for that reload, or
            # it lands in the middle of the next step (an upload cut off by the navigation).
            with page.expect_navigation():
                box.check()
            until(page, "i => document.querySelectorAll('.check-item input:checked').length > i",
                  index)  # fmt: skip
        page.set_input_files("input[name=file]", files=[
            {"name": "cabinet.png", "mimeType": "image/png", "buffer": PNG}])  # fmt: skip
        page.click("button:has-text('Upload photo')")
        page.wait_for_selector("#photos:has-text('1 file')")
        pad = page.locator("#signature-pad").bounding_box()
        page.mouse.move(pad["x"] + 20, pad["y"] + 40)
        page.mouse.down()
        page.mouse.move(pad["x"] + 150, pad["y"] + 90, steps=8)
        page.mouse.move(pad["x"] + 260, pad["y"] + 50, steps=8)
        page.mouse.up()
        page.click("button:has-text('Save signature')")
        page.wait_for_selector("#photos:has-text('signed')")
        page.click("#status-completed")
        _status(page, "Completed")

        early = committed(_state, jobs["early"])
        assert early == {"status": "completed", "events": ["en_route", "on_site", "completed"],
                         "files": ["photo", "signature"], "undone": 0}  # fmt: skip

        tab.goto(f"/tech/jobs/{jobs['late']}/")
        until(page, "() => navigator.serviceWorker.controller !== null")
        page.context.set_offline(True)
        page.click("#status-en_route")
        until(page, "() => document.documentElement.dataset.queued === '1'")
        assert page.is_visible("#connection")
        assert committed(_state, jobs["late"])["status"] == "scheduled"  # nothing sent yet

        page.context.set_offline(False)
        _status(page, "En route")  # sent by the worker, the page reloaded
        until(page, "() => document.documentElement.dataset.queued === '0'")
        late = committed(_state, jobs["late"])
        assert late["status"] == "en_route"
        assert late["events"] == ["en_route"]  # applied exactly once

        assert tab.goto(f"/tech/jobs/{jobs['other']}/").status == 404
        for path in ("/isp/", "/portal/", "/crm/"):
            assert tab.goto(path).status == 403, path
    finally:
        committed(_purge)

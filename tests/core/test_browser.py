"""The browser harness itself: headless Chromium signs in on a tenant host of a real server."""

import pytest

pytestmark = pytest.mark.slow


def test_chromium_signs_in_on_the_tenant_host_and_sees_the_launcher(tenant_page):
    page = tenant_page().sign_in()

    assert page.page.url.rstrip("/").endswith(":" + page.base_url.rsplit(":", 1)[1])
    assert "Tenant A" in page.page.content()


def test_a_session_on_one_tenant_host_is_not_sent_to_another(tenant_page):
    page = tenant_page().sign_in()
    page.page.goto(page.base_url.replace("tenant-a", "tenant-b") + "/")

    assert "/login/" in page.page.url

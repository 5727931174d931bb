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


# Issue 10: one shell for every app, icons drawn as SVG (no emoji font needed).
SHELL_PAGES = ("/", "/isp/", "/portal/", "/crm/")


def test_the_launcher_draws_every_tile_icon_as_svg(tenant_page):
    page = tenant_page().sign_in()

    tiles = page.page.locator(".card.app")
    icons = page.page.locator(".card.app .app-icon svg.icon")
    assert tiles.count() >= 4  # ISP, portal, technician app, CRM, shop... of tenant A
    assert icons.count() == tiles.count()
    for n in range(icons.count()):
        box = icons.nth(n).bounding_box()
        assert box is not None
        assert min(box["width"], box["height"]) >= 24


def test_the_isp_pages_the_portal_and_the_crm_share_one_shell(tenant_page):
    page = tenant_page().sign_in()
    heights = set()

    for path in SHELL_PAGES:
        page.goto(path)
        header = page.page.locator("header.shell-top")
        assert header.count() == 1, path
        heights.add(round(header.bounding_box()["height"]))
        assert page.page.locator("footer").count() == 1, path
        # The app switcher opens on every page and lists the areas with their icons.
        page.page.locator("summary[title='Switch app']").click()
        entries = page.page.locator(".shell-menu[open] .shell-list a")
        assert entries.count() >= 4, path
        assert entries.locator("svg.icon").count() == entries.count(), path
        assert all(
            entries.locator("svg.icon").nth(n).bounding_box()["width"] > 0
            for n in range(entries.count())
        ), path

    assert len(heights) == 1  # the same bar, not three look-alikes
    for path in ("/isp/", "/crm/"):
        page.goto(path)
        tabs = page.page.locator("nav.shell-tabs a")
        assert tabs.count() >= 3, path
        assert page.page.locator("nav.shell-tabs a[aria-current='page']").count() == 1, path

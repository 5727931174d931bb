"""The pipeline board in a real browser (headless Chromium on gunicorn): dragging a card to
another stage moves the opportunity without a page reload, and a reload shows it there."""

import pytest
from django_tenants.utils import schema_context

from apps.crm.models import Account, Opportunity, StageChange
from apps.crm.services import pipeline, records
from apps.identity import services as identity
from apps.identity.models import Role, User
from tests.committed import committed

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

PASSWORD = "board-password-1"


def _make(schema: str) -> dict:
    with schema_context(schema):
        rep = identity.user_create(username="board-rep", password=PASSWORD, first_name="Bo")
        identity.role_grant(user=rep, role=Role.objects.get(name="Sales Rep"), granted_by="test")
        account = records.account_create(owner=rep, name="Board Test Account")
        deal = pipeline.opportunity_create(
            owner=rep, account=account, name="Board test deal", amount="4200.00"
        )
        return {"deal": deal.pk, "stage": deal.stage.name}


def _stage_of(schema: str, pk: int) -> tuple[str, int]:
    with schema_context(schema):
        deal = Opportunity.objects.select_related("stage").get(pk=pk)
        return deal.stage.name, StageChange.objects.filter(opportunity=deal).count()


def _remove(schema: str) -> None:
    with schema_context(schema):
        rep = User.objects.filter(username="board-rep").first()
        if rep is None:
            return
        Opportunity.objects.filter(owner=rep).delete()
        Account.objects.filter(owner=rep).delete()
        rep.delete()


def test_dragging_a_card_moves_the_deal_and_a_reload_shows_it_there(tenant_page, tenant_a):
    schema = tenant_a.schema_name
    made = committed(_make, schema)
    try:
        page = tenant_page().sign_in("board-rep", PASSWORD)
        page.goto("/crm/pipeline/")
        card = f"#deal-{made['deal']}"
        assert made["stage"] == "Prospecting"
        assert page.page.locator(f'section[data-stage-name="Prospecting"] {card}').count() == 1
        page.page.evaluate("window.__notReloaded = true")

        page.page.drag_and_drop(card, 'section[data-stage-name="Proposal"] .cards-drop')
        page.page.wait_for_selector("#board-status:has-text('Moved to Proposal')")

        assert page.page.evaluate("window.__notReloaded") is True  # no page load happened
        proposal = page.page.locator('section[data-stage-name="Proposal"]')
        assert proposal.locator(".col-total").inner_text() == "4,200.00 USD"
        assert proposal.locator(".col-count").inner_text() == "1"
        assert committed(_stage_of, schema, made["deal"]) == ("Proposal", 2)
        page.page.reload()
        assert page.page.locator(f'section[data-stage-name="Proposal"] {card}').count() == 1
        assert page.page.locator(f'section[data-stage-name="Prospecting"] {card}').count() == 0
    finally:
        committed(_remove, schema)


def test_a_move_the_server_refuses_puts_the_card_back(tenant_page, tenant_a):
    """A stage deleted meanwhile: the server answers 400, the card returns to its column."""
    schema = tenant_a.schema_name
    made = committed(_make, schema)
    try:
        page = tenant_page().sign_in("board-rep", PASSWORD)
        page.goto("/crm/pipeline/")
        card = f"#deal-{made['deal']}"
        page.page.evaluate(
            "document.querySelector('section[data-stage-name=\"Qualification\"]')"
            ".dataset.stage = '999999'"
        )

        page.page.drag_and_drop(card, 'section[data-stage-name="Qualification"] .cards-drop')
        page.page.wait_for_selector("#board-status.error")

        assert page.page.locator(f'section[data-stage-name="Prospecting"] {card}').count() == 1
        assert committed(_stage_of, schema, made["deal"]) == ("Prospecting", 1)
    finally:
        committed(_remove, schema)

"""What the CRM offers other apps through the core registry (its declaration's `operations`,
called as `registry.operation("crm.<verb>")`, None where the tenant has no CRM licence)."""

from django.urls import reverse

from apps.core.kit import organisation
from apps.core.parties import PartyFacts
from apps.crm import selectors


def opportunity_facts(*, ref) -> PartyFacts | None:
    """The opportunity `ref` as another app's page shows it (a project started for it)."""
    if not str(ref).isdigit():
        return None
    opportunity = selectors.opportunity_rows().filter(pk=int(ref)).first()
    if opportunity is None:
        return None
    return PartyFacts(
        app="crm", ref=str(opportunity.pk), name=opportunity.name,
        url=reverse("crm:detail", args=["opportunities", opportunity.pk]),
        facts=(("Account", opportunity.account.name), ("Stage", opportunity.stage.name),
               ("Amount", f"{opportunity.amount} {organisation.currency()}")),
    )  # fmt: skip


__all__ = ["opportunity_facts"]

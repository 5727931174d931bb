"""The CRM's party directory (apps.core.parties): lets another app (the ISP customer page)
show the CRM account linked to its record, and search accounts to link, without importing
the CRM."""

from django.db.models import Count, Q, Sum
from django.urls import reverse

from apps.core.kit import organisation
from apps.core.parties import PartyFacts
from apps.crm.constants import StageKind
from apps.crm.models import Account


def _facts(account: Account) -> PartyFacts:
    currency = organisation.currency()
    facts = [("Owner", account.owner.get_full_name() or account.owner.get_username())]
    if account.domain:
        facts.append(("Domain", account.domain))
    facts.append(("Contacts", str(account.n_contacts)))
    facts.append(("Open pipeline", f"{account.open_amount or 0:,.2f} {currency}"))
    facts.append(("Won", f"{account.won_amount or 0:,.2f} {currency}"))
    return PartyFacts(
        app="crm", ref=str(account.pk), name=account.name,
        url=reverse("crm:detail", args=["accounts", account.pk]), facts=tuple(facts),
    )  # fmt: skip


def _rows():
    return Account.objects.select_related("owner").annotate(
        n_contacts=Count("contacts", distinct=True),
        open_amount=Sum("opportunities__amount",
                        filter=Q(opportunities__stage__kind=StageKind.OPEN)),
        won_amount=Sum("opportunities__amount", filter=Q(opportunities__stage__kind=StageKind.WON)),
    )  # fmt: skip


class CrmAccounts:
    """PartyDirectory of CRM accounts."""

    def facts(self, ref: str) -> PartyFacts | None:
        if not str(ref).isdigit():
            return None
        account = _rows().filter(pk=int(ref)).first()
        return _facts(account) if account else None

    def search(self, query: str, limit: int = 10) -> list[PartyFacts]:
        query = (query or "").strip()
        if not query:
            return []
        match = Q(name__icontains=query) | Q(domain__icontains=query) | Q(email__iexact=query)
        match |= Q(phone=query)  # encrypted: the whole number, through its blind index
        return [_facts(a) for a in _rows().filter(match).order_by("name", "id")[:limit]]

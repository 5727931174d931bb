"""One party across apps (DESIGN.md §2): a CRM account linked to an ISP customer of the same
tenant, each showing the other's key facts, without either app importing the other.

Each catalog app that holds parties registers a `PartyDirectory` under its app key at start-up
(`registry.party_directories["isp"] = IspCustomers()`). A link is stored by the app that makes
it, as the other app's record reference (a string, never a foreign key: the other app may be
switched off, and its tables may be absent from the plan). Callers check that the other app is
subscribed (licensing) before asking; `party_directory()` returns None for an app that did not
register, so a page degrades to "not available" instead of failing.
"""

from dataclasses import dataclass, field
from typing import Protocol

from apps.core.registry import registry


@dataclass(frozen=True)
class PartyFacts:
    """The key facts of one party record of one app, ready to show on another app's page."""

    app: str  # app key of the record's app: "isp", "crm"
    ref: str  # the record's reference in its app (its primary key, as a string)
    name: str
    url: str  # the record's staff page
    facts: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # ("Balance", "12.00 EUR")


class PartyDirectory(Protocol):
    def facts(self, ref: str) -> PartyFacts | None:
        """The record `ref` of this app, or None if there is none (deleted, never existed)."""

    def search(self, query: str, limit: int = 10) -> list[PartyFacts]:
        """Records of this app matching `query` (name, email, number): candidates to link."""

    def linked(self, app: str, ref: str) -> list[PartyFacts]:
        """Records of this app linked to record `ref` of app `app`."""


def party_directory(app: str) -> PartyDirectory | None:
    return registry.party_directories.get(app)

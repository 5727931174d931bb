"""One party across apps (DESIGN.md §2): a CRM account and an ISP customer of the same
organisation (later a shop's customer) known to be the same party, each app showing the other's
key facts, without either importing the other.

- Each app that holds parties declares a `PartyDirectory` (its declaration's `party_directory`):
  how to show one of its records (`facts`) and find candidates to link (`search`).
- A link is a `PartyLink` row keyed by app and record reference (never a foreign key: the
  other app may be switched off). `party_link` makes or removes it, checking that the other
  record exists in its app's directory; `linked_parties` answers, for a record, the facts of
  every record linked to it, from either side.
- Callers check that the other app is subscribed (licensing) before offering it; an app whose
  directory is not registered reads as "not available".
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from apps.core.exceptions import ConflictError
from apps.core.kit.writes import record_create, record_delete
from apps.core.models import PartyLink
from apps.core.registry import registry

__all__ = [
    "PartyDirectory",
    "PartyFacts",
    "linked_parties",
    "links_remove",
    "party_directory",
    "party_link",
    "party_link_of",
]


@dataclass(frozen=True)
class PartyFacts:
    """The key facts of one party record of one app, ready to show on another app's page."""

    app: str  # app key of the record's app: "isp", "crm"
    ref: str  # the record's reference in its app (its primary key, as a string)
    name: str
    url: str  # the record's staff page
    facts: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # ("Balance", "12.00 EUR")


@runtime_checkable
class PartyDirectory(Protocol):
    def facts(self, ref: str) -> PartyFacts | None:
        """The record `ref` of this app, or None if there is none (deleted, never existed)."""

    def search(self, query: str, limit: int = 10) -> list[PartyFacts]:
        """Records of this app matching `query` (name, email, number): candidates to link."""


def party_directory(app: str) -> PartyDirectory | None:
    return registry.party_directories.get(app)


def party_link_of(app: str, ref: Any, other_app: str) -> str:
    """The reference of the record of `other_app` that record `ref` of `app` links to ("")."""
    return (
        PartyLink.objects.filter(app=app, ref=str(ref), other_app=other_app)
        .values_list("other_ref", flat=True)
        .first()
        or ""
    )


@transaction.atomic
def party_link(*, app: str, ref: Any, other_app: str, other_ref: Any, actor=None) -> str:
    """Link record `ref` of `app` to record `other_ref` of `other_app` (an empty `other_ref`
    unlinks), replacing its earlier link to that app. The other record must exist in its app's
    directory. Answers the reference now linked ("" when unlinked)."""
    ref, other_ref = str(ref), str(other_ref or "").strip()
    if other_app == app:
        raise ValidationError({"app": "A record links to records of another app."})
    current = PartyLink.objects.filter(app=app, ref=ref, other_app=other_app).first()
    if current is not None and current.other_ref == other_ref:
        return other_ref
    if other_ref:
        directory = party_directory(other_app)
        if directory is None:
            raise ConflictError(f"The {other_app} directory is not available.")
        if directory.facts(other_ref) is None:
            raise ValidationError({"ref": f"No {other_app} record {other_ref}."})
    if current is not None:
        record_delete(current, actor=actor)
    if other_ref:
        record_create(
            PartyLink(app=app, ref=ref, other_app=other_app, other_ref=other_ref), actor=actor
        )
    return other_ref


def _links_of(app: str, ref: str):
    return PartyLink.objects.filter(Q(app=app, ref=ref) | Q(other_app=app, other_ref=ref))


def linked_parties(
    app: str, ref: Any, *, among: Callable[[str], bool] | None = None
) -> list[PartyFacts]:
    """The records of other apps linked to record `ref` of `app`, from either side, as their
    apps show them (records of unregistered directories or gone since are left out). `among`
    says which other apps to ask (the ones the tenant has): the others are not asked at all."""
    ref = str(ref)
    found = []
    for link in _links_of(app, ref).order_by("pk"):
        other_app, other_ref = (
            (link.other_app, link.other_ref) if link.app == app else (link.app, link.ref)
        )
        if among is not None and not among(other_app):
            continue
        directory = party_directory(other_app)
        facts = directory.facts(other_ref) if directory is not None else None
        if facts is not None:
            found.append(facts)
    return found


def links_remove(*, app: str, ref: Any, actor=None) -> None:
    """A record is deleted: its links go with it (inside the caller's transaction)."""
    for link in _links_of(app, str(ref)).order_by("pk"):
        record_delete(link, actor=actor)

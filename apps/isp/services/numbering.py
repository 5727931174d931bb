"""Gapless numbering: the next numbers of a DocumentSequence, taken under a row lock.

The lock is held until the caller's transaction ends: two transactions numbering at once are
serialised, and a rollback returns its numbers, so a committed series never has a gap.
"""

from django.db import transaction

from apps.isp.models import DocumentSequence


def sequence_take(key: str, count: int = 1) -> int:
    """Reserve `count` consecutive numbers of sequence `key`; returns the first. Must run inside
    the transaction that creates the numbered documents."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("sequence_take() must run inside the documents' transaction")
    DocumentSequence.objects.get_or_create(key=key)  # first use; a no-op afterwards
    sequence = DocumentSequence.objects.select_for_update().get(key=key)
    first = sequence.next_number
    sequence.next_number = first + count
    sequence.save(update_fields=["next_number"])
    return first

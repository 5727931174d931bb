"""What billing tells the rest of the platform (the partners' ledger listens): sent on commit."""

from django.dispatch import Signal

#: An invoice was paid in full: `invoice`.
invoice_paid = Signal()
#: An invoice's payment was refunded (in part): `invoice`, `amount`.
invoice_refunded = Signal()

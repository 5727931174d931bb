"""Card payment gateways: an interface, and the built-in sandbox that needs no network, for
every app that takes cards (the ISP's invoices, the shop's checkout).

A gateway charges a card and refunds a charge; the app's payment services record the outcome.
The sandbox follows the test-card convention of the big processors: 4242 4242 4242 4242
succeeds, 4000 0000 0000 0002 is declined, any other number is refused as unknown. Each app
names its gateway in a setting (a dotted path, default the sandbox):
`gateway("ISP_PAYMENT_GATEWAY")`.
"""

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class ChargeResult:
    succeeded: bool
    reference: str = ""
    failure_reason: str = ""


class PaymentGateway(Protocol):
    name: str

    def charge(
        self, *, card_number: str, amount: Decimal, currency: str, description: str
    ) -> ChargeResult: ...  # noqa: E501

    def refund(self, *, reference: str, amount: Decimal, currency: str) -> ChargeResult: ...


def _digits(card_number: str) -> str:
    return "".join(ch for ch in str(card_number) if ch.isdigit())


class SandboxGateway:
    """A stand-in processor with test cards; references look like real ones (`sbx_ch_…`)."""

    name = "sandbox"
    SUCCEEDS = "4242424242424242"
    DECLINED = "4000000000000002"

    def charge(self, *, card_number, amount, currency, description="") -> ChargeResult:
        digits = _digits(card_number)
        if digits == self.SUCCEEDS:
            return ChargeResult(True, f"sbx_ch_{uuid.uuid4().hex[:24]}")
        if digits == self.DECLINED:
            return ChargeResult(False, f"sbx_ch_{uuid.uuid4().hex[:24]}", "Card declined")
        return ChargeResult(False, "", "Unknown card number (sandbox: use 4242 4242 4242 4242)")

    def refund(self, *, reference, amount, currency) -> ChargeResult:
        if not reference.startswith("sbx_ch_"):
            return ChargeResult(False, "", "Unknown charge")
        return ChargeResult(True, f"sbx_re_{uuid.uuid4().hex[:24]}")


def gateway(setting: str) -> PaymentGateway:
    """The gateway the setting `setting` names (a dotted path to a PaymentGateway class)."""
    return import_string(getattr(settings, setting))()

"""The ISP's card gateway: the platform's gateway interface and sandbox (apps.core.payments),
configured by `ISP_PAYMENT_GATEWAY`."""

from apps.core import payments
from apps.core.payments import ChargeResult, PaymentGateway, SandboxGateway

__all__ = ["ChargeResult", "PaymentGateway", "SandboxGateway", "gateway"]


def gateway() -> PaymentGateway:
    """The configured gateway (ISP_PAYMENT_GATEWAY), the sandbox by default."""
    return payments.gateway("ISP_PAYMENT_GATEWAY")

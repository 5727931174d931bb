"""What the ISP admin pages share."""


def money(amount, currency: str = "") -> str:
    return f"{amount:,.2f} {currency}".strip()

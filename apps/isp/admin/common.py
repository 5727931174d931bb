"""What the ISP admin pages share."""

from django.http import HttpResponseRedirect


def money(amount, currency: str = "") -> str:
    return f"{amount:,.2f} {currency}".strip()


def back_to_change_page(request):
    """A change-page button posts the action with `next`: go back there (a console page only)."""
    target = request.POST.get("next", "")
    if target.startswith("/admin/"):
        return HttpResponseRedirect(target)
    return None

"""What the staff pages and the portal share: running a service call with its failures shown as
messages, pagination, the currency."""

import contextlib
import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404

from apps.core.exceptions import DomainError
from apps.core.kit.refusals import page_refusal

log = logging.getLogger(__name__)

PAGE_SIZE = 25


class Outcome:
    """Set by `attempt()`: whether the service call went through."""

    ok = True
    error: Exception | None = None


@contextlib.contextmanager
def attempt(request, success: str | None = None):
    """Run a service call; its refusals (validation, invalid state, limits) become an error
    message instead of a crash, its success a success message."""
    outcome = Outcome()
    try:
        yield outcome
    except (ValidationError, DomainError) as error:
        outcome.ok, outcome.error = False, error
        page_refusal(request, error)
    else:
        if success:
            messages.success(request, success)


def paginate(request, queryset, per_page: int = PAGE_SIZE):
    """The requested page (out-of-range numbers give the last page)."""
    paginator = Paginator(queryset, per_page)
    return paginator.get_page(request.GET.get("page"))


def customer_or_404(pk):
    from apps.isp.models import Customer

    return get_object_or_404(Customer, pk=pk)


def choice_filter(request, name: str, choices) -> str:
    """A list filter's value if it is one of `choices`, else no filter."""
    value = request.GET.get(name, "")
    return value if value in choices.values else ""


def querystring_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()

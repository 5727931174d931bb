"""IPAM's template filters: `{{ prefix|utilisation }}` (percent in use, as the API shows it)."""

from django import template

from apps.isp.selectors.network import prefix_utilisation

register = template.Library()


@register.filter
def utilisation(prefix) -> float:
    return prefix_utilisation(prefix)

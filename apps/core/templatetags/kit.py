"""Template tags of the app kit: `{% load kit %}` then `{% icon "globe" %}`."""

from django import template

from apps.core.kit.icons import icon_svg

register = template.Library()


@register.simple_tag
def icon(name: str, label: str = "", size: int = 20):
    return icon_svg(name, label, size)

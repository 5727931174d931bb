"""Template tags of the app kit: `{% load kit %}` then `{% icon "globe" %}`, or
`{% app_icon app %}` for a catalog app (its declaration's first launcher icon), or
`class="… {% bar_width used limit %}"` for a bar drawn `used` of `limit` wide."""

import math

from django import template
from django.utils.html import format_html

from apps.core.kit.declaration import declared
from apps.core.kit.icons import icon_svg

register = template.Library()


@register.simple_tag
def icon(name: str, label: str = "", size: int = 20):
    return icon_svg(name, label, size)


@register.simple_tag
def app_icon(app, size: int = 28):
    """A catalog app's icon: the one its code declares; an app only the catalog knows (added by
    an operator in the console) shows the text of its `icon` field."""
    declaration = declared(app.key)
    if declaration is not None and declaration.launcher:
        return icon_svg(declaration.launcher[0].icon, size=size)
    return format_html('<span aria-hidden="true">{}</span>', app.icon or "▣")


@register.simple_tag
def bar_width(value, total=100) -> str:
    """The class of a bar `value / total` wide, in whole percents clamped to 0-100: `bar-37`
    (static/css/widths.css sets --bar: 37%). The Content-Security-Policy refuses style
    attributes; nothing measurable (no total, not a number) draws an empty bar."""
    try:
        percent = 100 * float(value) / float(total)
    except (TypeError, ValueError, ZeroDivisionError):
        percent = 0.0
    if not math.isfinite(percent):
        percent = 0.0
    return f"bar-{min(100, max(0, round(percent)))}"

"""Icons of the page shell and the launcher, as inline SVG (24 × 24, drawn with the text
colour): no icon font, no emoji font, no request. `{% icon "globe" %}` in a template (load
`kit`), `icon_svg("globe")` in code. A declaration names its launcher icons from this set."""

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

#: name → the SVG's inner elements (stroked, round caps; the outer <svg> is added by icon_svg).
ICONS = {
    "globe": '<circle cx="12" cy="12" r="9"/><path d="M3 12h18M12 3a14 14 0 0 1 0 18'
    'M12 3a14 14 0 0 0 0 18"/>',
    "home": '<path d="M3 11l9-7 9 7"/><path d="M5 10v10h14V10"/><path d="M10 20v-6h4v6"/>',
    "wrench": '<path d="M14.5 6.5a4 4 0 0 0-5.3 5.2L3 18v3h3l6.3-6.2a4 4 0 0 0 5.2-5.3'
    'l-2.6 2.6-2.5-.6-.6-2.5z"/>',
    "briefcase": '<rect x="3" y="7" width="18" height="13" rx="2"/><path d="M8 7V5a2 2 0 0 1 '
    '2-2h4a2 2 0 0 1 2 2v2M3 13h18"/>',
    "package": '<path d="M3 7l9-4 9 4v10l-9 4-9-4z"/><path d="M3 7l9 4 9-4M12 11v10"/>',
    "cart": '<circle cx="9" cy="20" r="1.5"/><circle cx="18" cy="20" r="1.5"/>'
    '<path d="M2 3h3l2.5 12h12l2-8H6"/>',
    "kanban": '<rect x="3" y="3" width="18" height="18" rx="2"/><path d="M8 7v7M12 7v4M16 7v10"/>',
    "grid": '<rect x="3" y="3" width="7" height="7" rx="1"/><rect x="14" y="3" width="7" '
    'height="7" rx="1"/><rect x="3" y="14" width="7" height="7" rx="1"/><rect x="14" y="14" '
    'width="7" height="7" rx="1"/>',
    "user": '<circle cx="12" cy="8" r="4"/><path d="M4 21a8 8 0 0 1 16 0"/>',
    "logout": '<path d="M15 4h4a1 1 0 0 1 1 1v14a1 1 0 0 1-1 1h-4M10 17l5-5-5-5M15 12H3"/>',
    "settings": '<circle cx="12" cy="12" r="3"/><path d="M12 2v3M12 19v3M2 12h3M19 12h3'
    'M4.9 4.9L7 7M17 17l2.1 2.1M4.9 19.1L7 17M17 7l2.1-2.1"/>',
    "pause": '<rect x="6" y="5" width="4" height="14" rx="1"/>'
    '<rect x="14" y="5" width="4" height="14" rx="1"/>',
    "lock": '<rect x="4" y="11" width="16" height="10" rx="2"/><path d="M8 11V7a4 4 0 0 1 8 0v4"/>',
    "phone": '<path d="M5 4h4l2 5-2.5 1.5a11 11 0 0 0 5 5L15 13l5 2v4a2 2 0 0 1-2 2'
    'A16 16 0 0 1 3 6a2 2 0 0 1 2-2z"/>',
    "users": '<circle cx="9" cy="8" r="3.5"/><path d="M2.5 20a6.5 6.5 0 0 1 13 0"/>'
    '<path d="M16 4.5a3.5 3.5 0 0 1 0 7M18 14.5a6.5 6.5 0 0 1 3.5 5.5"/>',
    "check": '<path d="M4 12.5l5 5L20 6.5"/>',
    "task": '<rect x="4" y="4" width="16" height="16" rx="3"/><path d="M8 12l3 3 5-6"/>',
    "note": '<path d="M6 3h9l4 4v14H6z"/><path d="M15 3v4h4M9 12h6M9 16h6"/>',
    "arrow": '<path d="M4 12h15M13 6l6 6-6 6"/>',
    "spark": '<path d="M12 3v5M12 16v5M3 12h5M16 12h5M6 6l3 3M15 15l3 3M6 18l3-3M15 9l3-3"/>',
}


def icon_svg(name: str, label: str = "", size: int = 20) -> SafeString:
    """The icon as an inline <svg>; decorative (hidden from screen readers) unless labelled."""
    try:
        body = ICONS[name]
    except KeyError:
        raise ValueError(f"no icon named {name!r} (apps.core.kit.icons.ICONS)") from None
    accessible = (
        format_html(' role="img" aria-label="{}"', label) if label else ' aria-hidden="true"'
    )
    return mark_safe(  # noqa: S308  (the markup above is ours; the label is escaped)
        f'<svg class="icon icon-{name}" width="{size}" height="{size}" viewBox="0 0 24 24" '
        'fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" '
        f'stroke-linejoin="round"{accessible}>{body}</svg>'
    )

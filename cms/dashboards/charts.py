"""Server-rendered SVG bar charts: readable at a glance, no JavaScript.

Each chart is an ``<svg role="img">`` labelled by its own ``<title>`` and
``<desc>``; the page puts the same numbers in a table next to it, so a screen
reader (or a printout) loses nothing. Every text is escaped here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 720
LABEL_WIDTH = 210
VALUE_WIDTH = 170
BAR_AREA = WIDTH - LABEL_WIDTH - VALUE_WIDTH - 20
ROW = 30
BAR = 18
TOP = 8
# Dark blue on white and a pale blue for the reference bar: 4.5:1+ for the text.
FOREGROUND = "#1d4f7a"
BACKGROUND = "#cfe0ee"
TEXT = "#1a1a1a"
MAX_LABEL = 30


@dataclass(frozen=True)
class Bar:
    """One row: a label, a value, and optionally the value it is a part of.

    ``whole`` draws a pale reference bar behind the value (enrolled behind
    certified, the target behind the certified count).
    """

    label: str
    value: int
    whole: int | None = None
    note: str = ""


def number(value: float, digits: int = 0) -> str:
    """A number in the active language's format (1.234 in Indonesian)."""
    return number_format(value, decimal_pos=digits, force_grouping=True)


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def bar_chart(
    *, chart_id: str, title: str, desc: str, bars: Sequence[Bar]
) -> SafeString:
    """A horizontal bar chart as inline SVG, scaled to the largest value shown."""
    scale = max([1, *(b.value for b in bars), *(b.whole or 0 for b in bars)])
    height = TOP * 2 + ROW * max(len(bars), 1)
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>',
        f'<g font-family="system-ui, sans-serif" font-size="13" fill="{TEXT}">',
    ]
    x0 = LABEL_WIDTH
    for i, b in enumerate(bars):
        y = TOP + i * ROW
        text_y = y + BAR / 2 + 5
        parts.append(
            f'<text x="{x0 - 8}" y="{text_y}" text-anchor="end">'
            f"{escape(_short(b.label))}</text>"
        )
        if b.whole:
            parts.append(
                f'<rect x="{x0}" y="{y}" height="{BAR}" '
                f'width="{BAR_AREA * b.whole / scale:.1f}" fill="{BACKGROUND}"/>'
            )
        width = BAR_AREA * b.value / scale
        if b.value and width < 1:
            width = 1  # a non-zero value never disappears
        parts.append(
            f'<rect x="{x0}" y="{y}" height="{BAR}" width="{width:.1f}" '
            f'fill="{FOREGROUND}"/>'
        )
        caption = number(b.value) + (f" ({b.note})" if b.note else "")
        parts.append(
            f'<text x="{x0 + BAR_AREA + 8}" y="{text_y}">{escape(caption)}</text>'
        )
    if not bars:
        parts.append(f'<text x="{x0}" y="{TOP + 17}">–</text>')
    parts.append("</g></svg>")
    # Every interpolated text above went through escape().
    return mark_safe("".join(parts))


def percent(part: int, whole: int) -> str:
    """``part`` as a share of ``whole`` with one decimal ("37,5 %" in Indonesian)."""
    if not whole:
        return "–"
    return f"{number(100 * part / whole, 1)} %"

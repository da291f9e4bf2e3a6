"""Server-side SVG charts for the insights page: no JavaScript, no chart library.

Labels are user text (a question someone typed), so every piece of text goes through
`markupsafe.escape` and the markup is assembled with `Markup.format`, which escapes
whatever is not already markup. Colours and fonts are SVG presentation attributes
(`fill=`, `font-size=`), never `style=`, so the charts render under a Content Security
Policy without 'unsafe-inline'. Each chart is an `<svg role="img">` named by its
`<title>` and described by a `<desc>` listing every value, for screen readers.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Sequence

from markupsafe import Markup, escape

PALETTE = ("#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#64748b")
BAR_COLOUR = PALETTE[0]
TEXT_COLOUR = "#1f2937"
MUTED_COLOUR = "#6b7280"
FONT = "system-ui, -apple-system, 'Segoe UI', sans-serif"
TITLE_HEIGHT = 28
ROW_HEIGHT = 26
VALUE_SPACE = 72  # right of the longest bar, for its value
CHAR_WIDTH = 7  # about, at font-size 13: how many characters of a label fit
_CHART_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")

Items = Sequence[tuple[str, float]]


def _text(value: object) -> str:
    """One line of printable text: XML 1.0 forbids most control characters."""
    return " ".join(_UNPRINTABLE.sub(" ", str(value)).split())


def _unit(unit: str) -> str:
    """Printable too, but a leading space is meant: " tickets" after a number."""
    return re.sub(r"\s+", " ", _UNPRINTABLE.sub(" ", unit))


def _short(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "\u2026"


def _number(value: float, unit: str) -> str:
    shown = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return f"{shown}{unit}"


def _checked(items: Items) -> list[tuple[str, float]]:
    checked = []
    for label, value in items:
        number = float(value)
        if not math.isfinite(number) or number < 0:
            raise ValueError(f"chart values must be finite and not negative, got {value!r}")
        checked.append((_text(label), number))
    return checked


def _chart_id(chart_id: str | None) -> str:
    if chart_id is None:
        return f"chart-{uuid.uuid4().hex[:8]}"
    if not _CHART_ID.match(chart_id):
        raise ValueError(f"chart_id must be a letter then letters, digits, - or _: {chart_id!r}")
    return chart_id


def _svg(chart_id: str, title: str, desc: str, width: int, height: int, body: Markup) -> Markup:
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" '
        'aria-labelledby="{id}-title {id}-desc" width="{w}" height="{h}" '
        'viewBox="0 0 {w} {h}" font-family="{font}" font-size="13" fill="{colour}">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
        '<text x="0" y="18" font-size="15" font-weight="600">{title}</text>{body}</svg>'
    ).format(
        id=chart_id,
        w=width,
        h=height,
        font=FONT,
        colour=TEXT_COLOUR,
        title=escape(_text(title)),
        desc=escape(desc),
        body=body,
    )


def _empty(chart_id: str, title: str, width: int) -> Markup:
    note = Markup('<text x="0" y="{y}" fill="{c}">No data for this period.</text>').format(
        y=TITLE_HEIGHT + 18, c=MUTED_COLOUR
    )
    return _svg(chart_id, title, "No data.", width, TITLE_HEIGHT + 30, note)


def bar_chart(
    title: str,
    items: Items,
    *,
    unit: str = "",
    width: int = 640,
    label_width: int = 240,
    colour: str = BAR_COLOUR,
    chart_id: str | None = None,
) -> Markup:
    """Horizontal bars, one per (label, value), in the order given.

    Labels longer than `label_width` allows are cut with an ellipsis; the whole label
    and value are the bar's tooltip (an SVG `<title>`). `unit` follows each value
    ("%", " tickets").
    """
    chart_id, rows = _chart_id(chart_id), _checked(items)
    if not rows:
        return _empty(chart_id, title, width)
    unit = _unit(unit)
    top = max(value for _, value in rows) or 1.0
    span = max(width - label_width - VALUE_SPACE, 10)
    parts = []
    for index, (label, value) in enumerate(rows):
        y = TITLE_HEIGHT + index * ROW_HEIGHT
        length = round(span * value / top, 1)
        parts.append(
            Markup(
                "<g><title>{label}: {value}</title>"
                '<text x="{lx}" y="{ty}" text-anchor="end">{short}</text>'
                '<rect x="{bx}" y="{y}" width="{length}" height="{bh}" rx="2" fill="{fill}"/>'
                '<text x="{vx}" y="{ty}" fill="{muted}">{value}</text></g>'
            ).format(
                label=escape(label),
                short=escape(_short(label, max((label_width - 8) // CHAR_WIDTH, 4))),
                value=escape(_number(value, unit)),
                lx=label_width - 8,
                ty=y + 15,
                bx=label_width,
                y=y + 3,
                length=length,
                bh=ROW_HEIGHT - 6,
                fill=colour,
                vx=label_width + length + 6,
                muted=MUTED_COLOUR,
            )
        )
    desc = "; ".join(f"{label}: {_number(value, unit)}" for label, value in rows)
    height = TITLE_HEIGHT + len(rows) * ROW_HEIGHT + 4
    return _svg(chart_id, title, desc, width, height, Markup("").join(parts))


def stacked_bar(
    title: str,
    items: Items,
    *,
    unit: str = "",
    width: int = 640,
    colours: Sequence[str] = PALETTE,
    chart_id: str | None = None,
) -> Markup:
    """One bar split into the shares of its parts (say confirmed / assumed /
    escalated), with a legend giving each part's value and percentage."""
    chart_id, rows = _chart_id(chart_id), _checked(items)
    total = sum(value for _, value in rows)
    if not rows or total == 0:
        return _empty(chart_id, title, width)
    unit = _unit(unit)
    parts, x = [], 0.0
    legend_y = TITLE_HEIGHT + 44
    for index, (label, value) in enumerate(rows):
        share = value / total
        fill = colours[index % len(colours)]
        described = f"{label}: {_number(value, unit)} ({share:.0%})"
        parts.append(
            Markup(
                "<g><title>{described}</title>"
                '<rect x="{x}" y="{by}" width="{w}" height="28" fill="{fill}"/></g>'
                '<rect x="0" y="{ly}" width="12" height="12" rx="2" fill="{fill}"/>'
                '<text x="18" y="{ty}">{described}</text>'
            ).format(
                described=escape(described),
                x=round(x, 1),
                by=TITLE_HEIGHT + 4,
                w=round(width * share, 1),
                fill=fill,
                ly=legend_y + index * 20,
                ty=legend_y + index * 20 + 11,
            )
        )
        x += width * share
    desc = "; ".join(
        f"{label}: {_number(value, unit)} ({value / total:.0%})" for label, value in rows
    )
    height = legend_y + len(rows) * 20 + 4
    return _svg(chart_id, title, desc, width, height, Markup("").join(parts))

"""Deterministic inline SVG charts, written by hand (no fonts, metadata or timestamps).

Every text is html-escaped; numbers are formatted with fixed precision, so the
same figures give the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from html import escape

from pipelines import formatting

PALETTE = ("#1b6ca8", "#c8553d", "#2a9d8f", "#8e5ea2", "#e9a23b", "#5c677d")


def _n(x: float) -> str:
    return f"{x:.1f}"


def nice_ticks(top: float, most: int = 6) -> list[float]:
    """Round tick values from 0 to at least top (steps of 1, 2 or 5 times a power of 10)."""
    top = top if top > 0 else 1.0
    power = 10.0 ** math.floor(math.log10(top / most))
    step = next(m * power for m in (1, 2, 5, 10) if top / (m * power) <= most)
    return [k * step for k in range(int(math.ceil(top / step - 1e-9)) + 1)]


def _tick_text(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:g}"


def _x_axis(left: float, width: float, y_top: float, y_axis: float, ticks: list[float],
            labels: list[str], unit: str = "") -> list[str]:
    """Vertical grid lines at ticks (0..ticks[-1] over width), labelled below y_axis."""
    body = [f'<line x1="{_n(left)}" y1="{_n(y_axis)}" x2="{_n(left + width)}" y2="{_n(y_axis)}" '
            'stroke="#888"/>']
    for value, label in zip(ticks, labels, strict=True):
        x = left + width * value / ticks[-1]
        body.append(f'<line x1="{_n(x)}" y1="{_n(y_top)}" x2="{_n(x)}" y2="{_n(y_axis + 4)}" '
                    f'stroke="#ddd"/><text x="{_n(x)}" y="{_n(y_axis + 16)}" text-anchor="middle" '
                    f'fill="#555">{escape(label)}</text>')
    if unit:
        body.append(f'<text x="{_n(left + width)}" y="{_n(y_axis + 30)}" text-anchor="end" '
                    f'fill="#555">{escape(unit)}</text>')
    return body


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="{width}" role="img" aria-label="{escape(title)}" '
            f'font-family="sans-serif" font-size="12">'
            f"<title>{escape(title)}</title>" + "".join(body) + "</svg>")


PERCENT_TICKS = [0.0, 0.25, 0.5, 0.75, 1.0]
PERCENT_LABELS = ["0%", "25%", "50%", "75%", "100%"]


def rate_panels(title: str, panels: list[tuple[str, list[str], list[tuple | None]]],
                suppressed_note: str, provisional: list[bool] | None = None,
                provisional_note: str = "") -> str:
    """Small multiples: one panel per series of (rate, low, high) or None (suppressed),
    a line with an interval band, gaps where a month is suppressed. Rates in [0, 1].
    Months flagged in provisional are drawn as hollow points on a dashed line."""
    cols, pw, ph, pad = 3, 220, 160, 36
    rows = (len(panels) + cols - 1) // cols
    notes = [suppressed_note] + ([provisional_note] if provisional_note else [])
    width, height = cols * pw + 10, rows * ph + 12 + 16 * len(notes)
    body = [f'<text x="5" y="{rows * ph + 14 + 16 * i}" fill="#555">{escape(note)}</text>'
            for i, note in enumerate(notes)]
    for i, (name, labels, points) in enumerate(panels):
        flags = provisional or [False] * len(points)
        ox, oy = (i % cols) * pw + 5, (i // cols) * ph + 5
        left, top, w, h = ox + pad, oy + 20, pw - pad - 12, ph - 58
        body.append(f'<text x="{ox + 2}" y="{oy + 12}" font-weight="bold">{escape(name)}</text>')
        for frac in (0.0, 0.25, 0.5, 0.75, 1.0):
            y = top + h * (1 - frac)
            body.append(f'<line x1="{left}" y1="{_n(y)}" x2="{left + w}" y2="{_n(y)}" '
                        f'stroke="#ddd"/><text x="{left - 4}" y="{_n(y + 4)}" '
                        f'text-anchor="end" fill="#555">{int(frac * 100)}%</text>')
        step = w / max(len(points) - 1, 1)
        xs = [left + step * k for k in range(len(points))]
        for k in sorted({0, len(points) // 2, len(points) - 1}):
            anchor = "start" if k == 0 else "end" if k == len(points) - 1 else "middle"
            body.append(f'<line x1="{_n(xs[k])}" y1="{top + h}" x2="{_n(xs[k])}" y2="{top + h + 4}" '
                        f'stroke="#888"/><text x="{_n(xs[k])}" y="{top + h + 16}" '
                        f'text-anchor="{anchor}" fill="#555">{escape(labels[k])}</text>')
        color = PALETTE[i % len(PALETTE)]
        y_of = lambda v, top=top, h=h: _n(top + h * (1 - v))  # noqa: E731
        for run in _runs(points):
            upper = " ".join(f"{_n(xs[k])},{y_of(points[k][2])}" for k in run)
            lower = " ".join(f"{_n(xs[k])},{y_of(points[k][1])}" for k in reversed(run))
            body.append(f'<polygon points="{upper} {lower}" fill="{color}" fill-opacity="0.2"/>')
            for a, b in zip(run, run[1:], strict=False):
                dash = ' stroke-dasharray="4 3"' if flags[b] else ""
                body.append(f'<line x1="{_n(xs[a])}" y1="{y_of(points[a][0])}" x2="{_n(xs[b])}" '
                            f'y2="{y_of(points[b][0])}" stroke="{color}" stroke-width="2"{dash}/>')
            for k in run:
                fill = 'fill="#fff" stroke-width="1.5"' if flags[k] else f'fill="{color}"'
                body.append(f'<circle cx="{_n(xs[k])}" cy="{y_of(points[k][0])}" r="3" '
                            f'stroke="{color}" {fill}/>')
    return _svg(width, height, title, body)


def _runs(points: list) -> list[list[int]]:
    runs, current = [], []
    for k, p in enumerate(points):
        if p is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(k)
    if current:
        runs.append(current)
    return runs


def interval_dots(title: str, rows: list[tuple[str, tuple | None]], suppressed_label: str,
                  unit: str = "") -> str:
    """One row per label: a dot at the rate and a whisker for its interval (rates in [0, 1])."""
    label_w, plot_w, row_h = 190, 380, 22
    width, height = label_w + plot_w + 70, row_h * len(rows) + 50
    axis_y = row_h * len(rows) + 10
    body = _x_axis(label_w, plot_w, 6, axis_y, PERCENT_TICKS, PERCENT_LABELS, unit)
    for i, (label, value) in enumerate(rows):
        y = 18 + i * row_h
        body.append(f'<text x="{label_w - 6}" y="{y + 4}" text-anchor="end">{escape(label)}</text>')
        if value is None:
            body.append(f'<text x="{label_w + 4}" y="{y + 4}" fill="#888">'
                        f"{escape(suppressed_label)}</text>")
            continue
        rate, low, high = value
        body.append(f'<line x1="{_n(label_w + plot_w * low)}" y1="{y}" '
                    f'x2="{_n(label_w + plot_w * high)}" y2="{y}" stroke="#1b6ca8" stroke-width="3"/>'
                    f'<circle cx="{_n(label_w + plot_w * rate)}" cy="{y}" r="4.5" fill="#1b6ca8"/>'
                    f'<text x="{label_w + plot_w + 6}" y="{y + 4}">{formatting.percent(rate)}</text>')
    return _svg(width, height, title, body)


def bars(title: str, rows: list[tuple[str, float | None, float | None]], unit: str,
         suppressed_label: str, whisker_label: str = "",
         printed: Callable[[float], str] = formatting.number) -> str:
    """Horizontal bars (value) with an optional thin mark further right (e.g. the 90th
    percentile), on a scale from 0 with labelled ticks in unit. A value of None is
    suppressed; a text is shown instead of a bar (no figure: why)."""
    label_w, plot_w, row_h = 190, 360, 22
    top_value = max([v for _l, a, b in rows for v in (a, b) if isinstance(v, int | float)]
                    or [1.0]) or 1.0
    ticks = nice_ticks(top_value)
    scale = ticks[-1]
    axis_y = 8 + row_h * len(rows)
    width, height = label_w + plot_w + 120, axis_y + 40 + (16 if whisker_label else 0)
    body = _x_axis(label_w, plot_w, 4, axis_y, ticks, [_tick_text(v) for v in ticks], unit)
    for i, (label, value, mark) in enumerate(rows):
        y = 8 + i * row_h
        body.append(f'<text x="{label_w - 6}" y="{y + 12}" text-anchor="end">{escape(label)}</text>')
        if not isinstance(value, int | float):  # None: suppressed; text: said instead
            body.append(f'<text x="{label_w + 4}" y="{y + 12}" fill="#888">'
                        f"{escape(suppressed_label if value is None else str(value))}</text>")
            continue
        w = plot_w * value / scale
        body.append(f'<rect x="{label_w}" y="{y + 2}" width="{_n(w)}" height="14" fill="#2a9d8f"/>')
        end = label_w + w
        if mark is not None:
            mx = label_w + plot_w * mark / scale
            body.append(f'<line x1="{_n(mx)}" y1="{y}" x2="{_n(mx)}" y2="{y + 18}" '
                        f'stroke="#333" stroke-width="2"/>')
            end = max(end, mx)
        text = printed(value) + (f" / {printed(mark)}" if mark is not None else "") + f" {unit}"
        body.append(f'<text x="{_n(end + 5)}" y="{y + 13}">{escape(text)}</text>')
    if whisker_label:
        body.append(f'<text x="5" y="{height - 4}" fill="#555">{escape(whisker_label)}</text>')
    return _svg(width, height, title, body)


def stacked_shares(title: str, rows: list[tuple[str, list[float | None] | None]], legend: list[str],
                   suppressed_label: str, hidden_label: str = "") -> str:
    """Horizontal 100% bars on a 0-100% scale: the shares of each part. Shares that sum
    to less than 1 leave a grey remainder, labelled hidden_label in the legend (the
    parts whose counts are suppressed)."""
    label_w, plot_w, row_h = 190, 380, 22
    axis_y = 8 + row_h * len(rows)
    width, height = label_w + plot_w + 20, axis_y + 48
    body = _x_axis(label_w, plot_w, 4, axis_y, PERCENT_TICKS, PERCENT_LABELS)
    remainder = False
    for i, (label, shares) in enumerate(rows):
        y = 8 + i * row_h
        body.append(f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">{escape(label)}</text>')
        if shares is None:
            body.append(f'<text x="{label_w + 4}" y="{y + 13}" fill="#888">'
                        f"{escape(suppressed_label)}</text>")
            continue
        x = float(label_w)
        for k, share in enumerate(shares):
            if share is None:  # suppressed: inside the grey remainder
                continue
            w = plot_w * share
            body.append(f'<rect x="{_n(x)}" y="{y + 2}" width="{_n(w)}" height="15" '
                        f'fill="{PALETTE[k % len(PALETTE)]}"/>')
            x += w
        if label_w + plot_w - x > 0.05:
            remainder = True
            body.append(f'<rect x="{_n(x)}" y="{y + 2}" width="{_n(label_w + plot_w - x)}" '
                        'height="15" fill="#ccc"/>')
    ly = height - 6
    names = [*legend, *([hidden_label] if remainder and hidden_label else [])]
    for k, name in enumerate(names):
        lx = label_w + k * 120 - 150
        color = "#ccc" if k == len(legend) else PALETTE[k % len(PALETTE)]
        body.append(f'<rect x="{lx}" y="{ly - 10}" width="12" height="12" '
                    f'fill="{color}"/><text x="{lx + 16}" y="{ly}">{escape(name)}</text>')
    return _svg(width, height, title, body)


def calibration(title: str, points: list[tuple[float, float]], x_label: str, y_label: str) -> str:
    """Mean predicted (x) against observed rate (y), both 0-100% with labelled ticks, with
    the diagonal of perfect calibration. The y title sits above its axis, not turned."""
    size, left, top = 260, 52, 28
    width, height = left + size + 30, top + size + 44
    body = [f'<rect x="{left}" y="{top}" width="{size}" height="{size}" fill="none" stroke="#888"/>',
            f'<line x1="{left}" y1="{top + size}" x2="{left + size}" y2="{top}" stroke="#aaa" '
            'stroke-dasharray="4 3"/>',
            f'<text x="{left + size / 2}" y="{height - 4}" text-anchor="middle">{escape(x_label)}</text>',
            f'<text x="{left - 8}" y="{top - 12}" text-anchor="start">{escape(y_label)}</text>']
    for frac, label in zip(PERCENT_TICKS, PERCENT_LABELS, strict=True):
        x, y = left + size * frac, top + size * (1 - frac)
        body.append(f'<line x1="{_n(x)}" y1="{top}" x2="{_n(x)}" y2="{top + size + 4}" stroke="#eee"/>'
                    f'<text x="{_n(x)}" y="{top + size + 16}" text-anchor="middle" fill="#555">'
                    f'{label}</text>'
                    f'<line x1="{left - 4}" y1="{_n(y)}" x2="{left + size}" y2="{_n(y)}" stroke="#eee"/>'
                    f'<text x="{left - 6}" y="{_n(y + 4)}" text-anchor="end" fill="#555">{label}</text>')
    for x, y in points:
        body.append(f'<circle cx="{_n(left + size * x)}" cy="{_n(top + size * (1 - y))}" r="4" '
                    'fill="#c8553d"/>')
    return _svg(width, height, title, body)

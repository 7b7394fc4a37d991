"""Deterministic inline SVG charts, written by hand (no fonts, metadata or timestamps).

Every text is html-escaped; numbers are formatted with fixed precision, so the
same figures give the same bytes.
"""

from __future__ import annotations

from html import escape

PALETTE = ("#1b6ca8", "#c8553d", "#2a9d8f", "#8e5ea2", "#e9a23b", "#5c677d")


def _n(x: float) -> str:
    return f"{x:.1f}"


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="100%" role="img" aria-label="{escape(title)}" '
            f'font-family="sans-serif" font-size="12">'
            f"<title>{escape(title)}</title>" + "".join(body) + "</svg>")


def rate_panels(title: str, panels: list[tuple[str, list[str], list[tuple | None]]],
                suppressed_note: str) -> str:
    """Small multiples: one panel per series of (rate, low, high) or None (suppressed),
    a line with an interval band, gaps where a month is suppressed. Rates in [0, 1]."""
    cols, pw, ph, pad = 3, 220, 150, 34
    rows = (len(panels) + cols - 1) // cols
    width, height = cols * pw + 10, rows * ph + 30
    body = [f'<text x="5" y="{height - 8}" fill="#555">{escape(suppressed_note)}</text>']
    for i, (name, labels, points) in enumerate(panels):
        ox, oy = (i % cols) * pw + 5, (i // cols) * ph + 5
        left, top, w, h = ox + pad, oy + 20, pw - pad - 10, ph - 50
        body.append(f'<text x="{ox + 2}" y="{oy + 12}" font-weight="bold">{escape(name)}</text>')
        for frac in (0.0, 0.5, 1.0):
            y = top + h * (1 - frac)
            body.append(f'<line x1="{left}" y1="{_n(y)}" x2="{left + w}" y2="{_n(y)}" '
                        f'stroke="#ddd"/><text x="{left - 4}" y="{_n(y + 4)}" '
                        f'text-anchor="end" fill="#555">{int(frac * 100)}%</text>')
        step = w / max(len(points) - 1, 1)
        xs = [left + step * k for k in range(len(points))]
        for k, anchor in ((0, "start"), (len(points) - 1, "end")):
            body.append(f'<text x="{_n(xs[k])}" y="{top + h + 14}" text-anchor="{anchor}" '
                        f'fill="#555">{escape(labels[k])}</text>')
        color = PALETTE[i % len(PALETTE)]
        for run in _runs(points):
            upper = " ".join(f"{_n(xs[k])},{_n(top + h * (1 - points[k][2]))}" for k in run)
            lower = " ".join(f"{_n(xs[k])},{_n(top + h * (1 - points[k][1]))}" for k in reversed(run))
            body.append(f'<polygon points="{upper} {lower}" fill="{color}" fill-opacity="0.2"/>')
            line = " ".join(f"{_n(xs[k])},{_n(top + h * (1 - points[k][0]))}" for k in run)
            body.append(f'<polyline points="{line}" fill="none" stroke="{color}" stroke-width="2"/>')
            for k in run:
                body.append(f'<circle cx="{_n(xs[k])}" cy="{_n(top + h * (1 - points[k][0]))}" '
                            f'r="2.5" fill="{color}"/>')
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


def interval_dots(title: str, rows: list[tuple[str, tuple | None]], suppressed_label: str) -> str:
    """One row per label: a dot at the rate and a whisker for its interval (rates in [0, 1])."""
    label_w, plot_w, row_h = 190, 380, 22
    width, height = label_w + plot_w + 70, row_h * len(rows) + 40
    body = []
    for frac in (0.0, 0.25, 0.5, 0.75, 1.0):
        x = label_w + plot_w * frac
        body.append(f'<line x1="{_n(x)}" y1="10" x2="{_n(x)}" y2="{height - 25}" stroke="#ddd"/>'
                    f'<text x="{_n(x)}" y="{height - 10}" text-anchor="middle" fill="#555">'
                    f"{int(frac * 100)}%</text>")
    for i, (label, value) in enumerate(rows):
        y = 22 + i * row_h
        body.append(f'<text x="{label_w - 6}" y="{y + 4}" text-anchor="end">{escape(label)}</text>')
        if value is None:
            body.append(f'<text x="{label_w + 4}" y="{y + 4}" fill="#888">'
                        f"{escape(suppressed_label)}</text>")
            continue
        rate, low, high = value
        body.append(f'<line x1="{_n(label_w + plot_w * low)}" y1="{y}" '
                    f'x2="{_n(label_w + plot_w * high)}" y2="{y}" stroke="#1b6ca8" stroke-width="3"/>'
                    f'<circle cx="{_n(label_w + plot_w * rate)}" cy="{y}" r="4.5" fill="#1b6ca8"/>'
                    f'<text x="{label_w + plot_w + 6}" y="{y + 4}">{rate * 100:.1f}%</text>')
    return _svg(width, height, title, body)


def bars(title: str, rows: list[tuple[str, float | None, float | None]], unit: str,
         suppressed_label: str, whisker_label: str = "") -> str:
    """Horizontal bars (value) with an optional thin mark further right (e.g. the 90th percentile)."""
    label_w, plot_w, row_h = 190, 360, 22
    top_value = max([v for _l, a, b in rows for v in (a, b) if v is not None] or [1.0]) or 1.0
    width, height = label_w + plot_w + 120, row_h * len(rows) + 30
    body = []
    for i, (label, value, mark) in enumerate(rows):
        y = 12 + i * row_h
        body.append(f'<text x="{label_w - 6}" y="{y + 10}" text-anchor="end">{escape(label)}</text>')
        if value is None:
            body.append(f'<text x="{label_w + 4}" y="{y + 10}" fill="#888">'
                        f"{escape(suppressed_label)}</text>")
            continue
        w = plot_w * value / top_value
        body.append(f'<rect x="{label_w}" y="{y}" width="{_n(w)}" height="14" fill="#2a9d8f"/>'
                    f'<text x="{_n(label_w + w + 4)}" y="{y + 11}">{value:,.0f} {escape(unit)}</text>')
        if mark is not None:
            mx = label_w + plot_w * mark / top_value
            body.append(f'<line x1="{_n(mx)}" y1="{y - 2}" x2="{_n(mx)}" y2="{y + 16}" '
                        f'stroke="#333" stroke-width="2"/>')
    if whisker_label:
        body.append(f'<text x="5" y="{height - 4}" fill="#555">{escape(whisker_label)}</text>')
    return _svg(width, height, title, body)


def stacked_shares(title: str, rows: list[tuple[str, list[float] | None]], legend: list[str],
                   suppressed_label: str) -> str:
    """Horizontal 100% bars: the shares of each part (shares sum to 1)."""
    label_w, plot_w, row_h = 190, 380, 22
    width, height = label_w + plot_w + 20, row_h * len(rows) + 50
    body = []
    for i, (label, shares) in enumerate(rows):
        y = 10 + i * row_h
        body.append(f'<text x="{label_w - 6}" y="{y + 11}" text-anchor="end">{escape(label)}</text>')
        if shares is None:
            body.append(f'<text x="{label_w + 4}" y="{y + 11}" fill="#888">'
                        f"{escape(suppressed_label)}</text>")
            continue
        x = float(label_w)
        for k, share in enumerate(shares):
            w = plot_w * share
            body.append(f'<rect x="{_n(x)}" y="{y}" width="{_n(w)}" height="15" '
                        f'fill="{PALETTE[k % len(PALETTE)]}"/>')
            x += w
    ly = height - 18
    for k, name in enumerate(legend):
        lx = label_w + k * 130
        body.append(f'<rect x="{lx}" y="{ly - 10}" width="12" height="12" '
                    f'fill="{PALETTE[k % len(PALETTE)]}"/><text x="{lx + 16}" y="{ly}">'
                    f"{escape(name)}</text>")
    return _svg(width, height, title, body)


def calibration(title: str, points: list[tuple[float, float]], x_label: str, y_label: str) -> str:
    """Mean predicted (x) against observed rate (y), with the diagonal of perfect calibration."""
    size, pad = 260, 40
    width, height = size + pad + 20, size + pad + 20
    body = [f'<rect x="{pad}" y="10" width="{size}" height="{size}" fill="none" stroke="#ccc"/>',
            f'<line x1="{pad}" y1="{size + 10}" x2="{pad + size}" y2="10" stroke="#aaa" '
            'stroke-dasharray="4 3"/>',
            f'<text x="{pad + size / 2}" y="{height - 5}" text-anchor="middle">{escape(x_label)}</text>',
            f'<text x="12" y="{10 + size / 2}" text-anchor="middle" '
            f'transform="rotate(-90 12 {10 + size / 2})">{escape(y_label)}</text>']
    for x, y in points:
        body.append(f'<circle cx="{_n(pad + size * x)}" cy="{_n(10 + size * (1 - y))}" r="4" '
                    'fill="#c8553d"/>')
    return _svg(width, height, title, body)

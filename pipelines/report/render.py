"""Turning report sections into HTML (self-contained), Markdown and CSV.

Every value passes through html.escape (HTML) or a Markdown cell escape; CSV cells
that a spreadsheet would run as a formula are neutralized (see csv_cell).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from html import escape

from pipelines import formatting
from pipelines.report.text import t, value_label

# Column kinds: how a value is displayed (CSV always holds the plain value).
COUNT, RATE, TEXT, LABEL, NUMBER, DAYS = "count", "rate", "text", "label", "number", "days"
FLAG = "flag"  # true/false; shown as a word when true (provisional rows)
MONEY = "money"  # yuan


class _NotApplicable:
    """A figure that does not exist (a rate of nothing, a median of no amounts): shown
    as a dash, an empty CSV cell. None means suppressed."""

    def __repr__(self) -> str:
        return "NA"


NA = _NotApplicable()


class _NotReached:
    """A Kaplan-Meier time the estimate has not reached yet (too many requests still
    pending): shown in words, `not_reached` in a CSV."""

    def __repr__(self) -> str:
        return "OPEN"


OPEN = _NotReached()


@dataclass
class Table:
    name: str  # tables/<name>.csv
    title_key: str
    columns: list[str]  # CSV header and text keys of the displayed headers
    kinds: list[str]
    rows: list[list]  # None = suppressed (or not applicable where noted)
    show: bool = True  # False: CSV only (the section shows a chart instead)
    collapsed: bool = False  # shown folded (<details>): long tables a chart already shows


@dataclass
class Section:
    key: str
    paragraphs: list[dict] = field(default_factory=list)  # {"en": ..., "zh": ...}
    tables: list[Table] = field(default_factory=list)
    figures: list[tuple[str, dict]] = field(default_factory=list)  # (name, {"en": svg, "zh": svg})
    code: list[tuple[str, str]] = field(default_factory=list)  # (caption key text, sql)


_NUMERIC = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def csv_cell(value) -> str:
    """Plain text for a CSV cell. Numbers stay numbers (a plain decimal, possibly negative,
    is not a formula); any other text starting with = + - @ (or a tab or carriage return)
    gets a leading apostrophe so a spreadsheet shows it as text instead of running it."""
    if value is None:
        return "suppressed"
    if value is NA:
        return ""
    if value is OPEN:
        return "not_reached"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = f"{value:.6f}".rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    text = str(value)
    if _NUMERIC.match(text):
        return text
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def write_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([csv_cell(v) for v in row])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def fmt(lang: str, kind: str, value) -> str:
    if value is None:
        return t(lang, "marker")
    if value is NA:
        return "—"
    if value is OPEN:
        return t(lang, "not_reached")
    if kind == FLAG:
        return t(lang, "provisional") if value else ""
    if kind == COUNT:
        return formatting.count(value)
    if kind == RATE:
        return formatting.percent(value)
    if kind == DAYS:
        return formatting.days(value)
    if kind == MONEY:
        return formatting.money(value)
    if kind == NUMBER:
        return formatting.number(value, significant=3) if isinstance(value, float) \
            else formatting.count(value)
    if kind == LABEL:
        return value_label(lang, str(value))
    return str(value)


def display_rows(lang: str, table: Table) -> tuple[list[str], list[list[str]]]:
    """Headers and cells as shown: a rate with *_low/*_high siblings becomes 'r% (l–h%)'."""
    cols = table.columns
    skip = {c for c in cols if (c.endswith("_low") and c[:-4] in cols)
            or (c.endswith("_high") and c[:-5] in cols)}
    headers, out = [], []
    for c in cols:
        if c not in skip:
            headers.append(t(lang, c) if _has_text(c) else c)
    for row in table.rows:
        cells = []
        for i, c in enumerate(cols):
            if c in skip:
                continue
            value = row[i]
            text = fmt(lang, table.kinds[i], value)
            if isinstance(value, float) and f"{c}_low" in cols:
                low, high = row[cols.index(f"{c}_low")], row[cols.index(f"{c}_high")]
                if isinstance(low, float) and isinstance(high, float):
                    # one precision for the three, the printed interval holding the rate
                    text, lo, hi = formatting.rate_and_interval(value, low, high)
                    text += f" ({lo}–{hi})"
            cells.append(text)
        out.append(cells)
    return headers, out


def table_marks(table: Table) -> list[bool]:
    """Per row: whether it is provisional (a true `provisional` column)."""
    if "provisional" not in table.columns:
        return [False] * len(table.rows)
    i = table.columns.index("provisional")
    return [r[i] is True for r in table.rows]


def _has_text(key: str) -> bool:
    from pipelines.report.text import TEXT

    return key in TEXT


def _md_cell(text: str) -> str:
    return escape(text, quote=False).replace("|", "\\|").replace("\n", " ")


def markdown(lang: str, title: str, generated: str, intro: list[str], sections: list[Section],
             other_link: str | None, banner: str | None = None) -> str:
    lines = [f"# {_md_cell(title)}", "", generated, ""]
    if banner:
        lines += [f"> **{_md_cell(banner)}**", ""]
    if other_link:
        lines += [f"[{t(lang, 'other_lang')}]({other_link})", ""]
    for p in intro:
        lines += [_md_cell(p), ""]
    for section in sections:
        lines += [f"## {t(lang, section.key)}", ""]
        for p in section.paragraphs:
            lines += [("> " if p.get("quoted") else "") + _md_cell(p[lang]), ""]
        for table in section.tables:
            headers, rows = display_rows(lang, table)
            lines += [f"**{_md_cell(t(lang, table.title_key))}** (tables/{table.name}.csv)", "",
                      "| " + " | ".join(_md_cell(h) for h in headers) + " |",
                      "|" + "---|" * len(headers)]
            lines += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in rows]
            lines.append("")
        for name, _svg in section.figures:
            lines += [f"![{name}](figures/{name}.{lang}.svg)", ""]
        for caption, sql in section.code:
            lines += [f"*{_md_cell(caption)}*", "", "```sql", sql.strip(), "```", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","PingFang SC",
"Microsoft YaHei","WenQuanYi Micro Hei",sans-serif;max-width:60rem;margin:0 auto;padding:1rem;line-height:1.5;color:#222}
h1{font-size:1.6rem}h2{font-size:1.25rem;border-bottom:1px solid #ccc;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:right;vertical-align:top}
th:first-child,td:first-child{text-align:left}th{background:#f3f3f3}
.wrap{overflow-x:auto}.note{color:#555;font-size:.9rem}figure{margin:1rem 0}
pre{background:#f6f6f6;padding:.5rem;overflow-x:auto;font-size:.8rem;white-space:pre-wrap}
svg{max-width:100%;height:auto}details{margin:.25rem 0}summary{cursor:pointer;font-family:monospace}
.provisional td{font-style:italic;background:#fff8e6}.banner{border-left:4px solid #e9a23b;background:#fff8e6;padding:.5rem .75rem}
caption{text-align:left}@media (max-width:40rem){th,td{white-space:nowrap}}
@media print{body{max-width:none}h2{page-break-after:avoid}figure,table{page-break-inside:avoid}
.wrap{overflow:visible}pre{white-space:pre-wrap}details>pre{display:block}}
"""


_BACKTICKS = re.compile(r"`([^`]+)`")


def _inline(text: str) -> str:
    """Escaped text with `backticked` names as <code> (table, macro, file names)."""
    return _BACKTICKS.sub(lambda m: f"<code>{m.group(1)}</code>", escape(text))


def html_page(lang: str, title: str, generated: str, intro: list[str], sections: list[Section],
              other_link: str | None, banner: str | None = None) -> str:
    e = escape
    parts = ["<!DOCTYPE html>", f'<html lang="{"zh-CN" if lang == "zh" else "en"}">', "<head>",
             '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             # no request may leave the page: not even a favicon
             '<link rel="icon" href="data:,">',
             "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
             "style-src 'unsafe-inline'; img-src data:\">",
             f"<title>{e(title)}</title>", f"<style>{CSS}</style>", "</head>", "<body>",
             f"<h1>{e(title)}</h1>", f'<p class="note">{_inline(generated)}</p>']
    if banner:  # a provisional period says so at the top
        parts.append(f'<p class="banner" role="note"><strong>{_inline(banner)}</strong></p>')
    if other_link:
        parts.append(f'<p><a href="{e(other_link)}">{e(t(lang, "other_lang"))}</a></p>')
    parts += [f"<p>{_inline(p)}</p>" for p in intro]
    for section in sections:
        parts.append(f'<section id="{e(section.key)}"><h2>{e(t(lang, section.key))}</h2>')
        for p in section.paragraphs:
            if p.get("quoted"):  # text quoted as written (the model card, in English)
                parts.append(f'<blockquote lang="{e(p["quoted"])}">{_inline(p[lang])}</blockquote>')
            else:
                parts.append(f"<p>{_inline(p[lang])}</p>")
        for name, svg in section.figures:
            caption = re.search(r"<title>(.*?)</title>", svg[lang])
            parts.append(f'<figure id="fig-{e(name)}"><figcaption>{caption.group(1) if caption else ""}'
                         f"</figcaption>{svg[lang]}</figure>")
        for table in section.tables:
            if not table.show:
                continue
            headers, rows = display_rows(lang, table)
            if table.collapsed:
                parts.append(f"<details><summary>{e(t(lang, table.title_key))} "
                             f"({e(t(lang, 'table_rows', rows=len(rows)))})</summary>")
            parts.append(f'<div class="wrap"><table id="t-{e(table.name)}"><caption>'
                         f"{e(t(lang, table.title_key))}</caption><thead><tr>"
                         + "".join(f"<th>{e(h)}</th>" for h in headers) + "</tr></thead><tbody>")
            for r, marks in zip(rows, table_marks(table), strict=True):
                css = ' class="provisional"' if marks else ""
                parts.append(f"<tr{css}>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>")
            parts.append("</tbody></table></div>" + ("</details>" if table.collapsed else ""))
        for caption, sql in section.code:  # collapsed: the page stays short
            parts.append(f'<details><summary><code>{e(caption)}</code></summary><pre><code>{e(sql.strip())}'
                         "</code></pre></details>")
        parts.append("</section>")
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"

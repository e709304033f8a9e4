"""PDF export: title, period, filters, a written summary, key figures against the previous period (when the data
reaches into it), charts, tables with small groups folded into one line, and representative posts."""

from __future__ import annotations

from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Table, TableStyle
from reportlab.platypus.doctemplate import BaseDocTemplate

from civicpulse.analysis.labels import SENTIMENTS
from civicpulse.reports import charts
from civicpulse.reports.fonts import register_fonts
from civicpulse.reports.labels import emotion_name, labels
from civicpulse.reports.model import Report, period_text

HEADER_FILL = colors.HexColor("#e8eef6")
GRID = colors.HexColor("#c0c8d2")
DASH = "–"
MAX_NAME = 48  # characters of a topic or place name in a table row


def to_pdf(report: Report, *, compress: bool = True, invariant: bool = False) -> bytes:
    """The report as an A4 PDF. `invariant`/`compress=False` give byte-stable, greppable output for tests."""
    regular, bold = register_fonts()
    words = labels(report.lang)
    styles = _styles(regular, bold)
    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm, topMargin=1.8 * cm,
                            bottomMargin=1.8 * cm, title=report.title, author="CivicPulse",
                            subject=f"{words['workspace']}: {report.workspace}", lang=report.lang,
                            invariant=int(invariant), pageCompression=int(compress))
    footer = f"CivicPulse · {report.workspace} · {period_text(report)}"

    def on_page(canvas: Any, document: BaseDocTemplate) -> None:
        canvas.setFont(regular, 7)
        canvas.setFillColor(colors.grey)
        canvas.drawString(2 * cm, 1 * cm, footer)
        canvas.drawRightString(A4[0] - 2 * cm, 1 * cm, str(document.page))

    doc.build(_story(report, styles, regular, bold), onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


def _styles(regular: str, bold: str) -> dict[str, ParagraphStyle]:
    return {"title": ParagraphStyle("title", fontName=bold, fontSize=18, leading=22, spaceAfter=8),
            "h2": ParagraphStyle("h2", fontName=bold, fontSize=12, leading=15, spaceBefore=10, spaceAfter=4),
            "body": ParagraphStyle("body", fontName=regular, fontSize=9, leading=12),
            "th": ParagraphStyle("th", fontName=bold, fontSize=8, leading=10),
            "note": ParagraphStyle("note", fontName=regular, fontSize=8, leading=10, textColor=colors.grey)}


def _story(report: Report, styles: dict[str, ParagraphStyle], regular: str, bold: str) -> list[Flowable]:
    words, ov = labels(report.lang), report.overview
    suppressed = words["suppressed"].format(k=report.k)
    story: list[Flowable] = [Paragraph(escape(report.title), styles["title"])]
    meta = [(words["workspace"], report.workspace), (words["period"], period_text(report)),
            *([(words["previous_period"], period_text(report, previous=True))] if report.has_previous else []),
            (words["bucket"], words.get(ov["bucket"], ov["bucket"])),
            (words["filters"], "; ".join(f"{k}: {v}" for k, v in report.filters_description) or words["no_filters"]),
            (words["generated"], f"{report.generated_at:%Y-%m-%d %H:%M} UTC")]
    story += [_table([list(pair) for pair in meta], styles, header=False, wrap=True, widths=(4.5 * cm, 12.5 * cm)),
              Paragraph(escape(words["k_note"].format(k=report.k)), styles["note"]),
              Paragraph(escape(words["summary"]), styles["h2"]),
              *(Paragraph(escape(sentence), styles["body"]) for sentence in report.briefing.sentences),
              Paragraph(escape(words["key_figures"]), styles["h2"])]
    if report.has_previous:
        figures = [[words["metric"], words["current"], words["previous"], words["change"]]]
        for name, now, before, change, unit in report.key_figures():
            figures.append([words[name], _value(name, now, ov["totals"]["suppressed"], suppressed),
                            _value(name, before, ov["previous"]["totals"]["suppressed"], suppressed),
                            _change(change, unit, report.lang)])
        story.append(_table(figures, styles, widths=(4 * cm, 4.9 * cm, 4.9 * cm, 3.2 * cm)))
    else:  # the previous period precedes the data: no empty column, one line saying why
        figures = [[words["metric"], words["current"]]]
        figures += [[words[name], _value(name, now, ov["totals"]["suppressed"], suppressed)]
                    for name, now, *_ in report.key_figures()]
        story += [_table(figures, styles, widths=(4 * cm, 4.9 * cm)),
                  Paragraph(escape(words["no_previous"]), styles["note"])]
    story += _time_series(report, styles, regular, words, suppressed)
    emotion_names = {r["key"]: emotion_name(r["key"], report.lang) for r in ov["emotions"]}
    for section in ("emotions", "topics", "places"):
        rows = ov[section]
        name_of = ((lambda key: emotion_names.get(key, key)) if section == "emotions"
                   else report.topic_label if section == "topics" else str)
        part: list[Flowable] = [Paragraph(escape(words[section]), styles["h2"])]
        shown = [(name_of(r["key"]), r["posts"]) for r in rows if not r["suppressed"]]
        if shown:
            part.append(charts.horizontal_bars(shown, regular))
        part.append(_group_table(rows, section, name_of, words, styles, suppressed, report.k) if rows
                    else Paragraph(escape(words["no_data"]), styles["body"]))
        story.append(KeepTogether(part))  # a heading never ends a page alone
    if report.briefing.examples:
        story.append(Paragraph(escape(words["examples"]), styles["h2"]))
        for post in report.briefing.examples:
            meta_line = " · ".join(x for x in (post["topic"], words.get(post["sentiment"] or "", post["sentiment"]),
                                               emotion_name(post["emotion"] or "", report.lang),
                                               (post["created_at"] or "")[:10]) if x)
            story.append(KeepTogether([Paragraph(escape(f"“{post['text']}”"), styles["body"]),
                                       Paragraph(escape(meta_line), styles["note"])]))
    return story


def _time_series(report: Report, styles: dict[str, ParagraphStyle], font: str, words: dict[str, str],
                 suppressed: str) -> list[Flowable]:
    rows, bucket = report.overview["volume"], report.overview["bucket"]
    out: list[Flowable] = [Paragraph(escape(words["volume"]), styles["h2"])]
    if not any(not r["suppressed"] for r in rows):
        note = words["no_data"] if not rows else words["suppressed"].format(k=report.k)
        return [*out, Paragraph(escape(note), styles["body"])]
    out = [KeepTogether([*out, charts.volume_chart(rows, bucket, font)])]
    out.append(charts.sentiment_chart(rows, bucket, font, words["sentiment"], {s: words[s] for s in SENTIMENTS}))
    table = [[words["time"], words["posts"], words["authors"], *(words[f"{s}_share"] for s in SENTIMENTS),
              words["net"]]]
    hidden: list[str] = []  # a run of suppressed periods is folded into one line
    for r in [*rows, None]:
        if r is not None and r["suppressed"]:
            hidden.append(r["key"].replace("T", " ")[:16])
            continue
        if hidden:
            when = hidden[0] if len(hidden) == 1 else f"{hidden[0]} – {hidden[-1]}"
            table.append([when, _count(words, "hidden_periods", len(hidden), report.k), "", "", "", "", ""])
            hidden = []
        if r is not None:
            table.append([r["key"].replace("T", " ")[:16], _int(r["posts"]), _int(r["authors"]),
                          *(_percent(r[f"{s}_share"]) for s in SENTIMENTS), _percent(r["net"])])
    widths = (3.4 * cm, 1.8 * cm, 1.8 * cm, *(2.5 * cm for _ in SENTIMENTS), 2.5 * cm)
    out.append(_table(table, styles, widths=widths, span_rows=_folded(table)))
    return out


def _count(words: dict[str, str], key: str, n: int, k: int) -> str:
    return words[f"{key}_one" if n == 1 else key].format(n=n, k=k)


def _folded(table: list[list[str]]) -> set[int]:
    """Rows whose second cell is a folded line of hidden groups: it spans the figure columns."""
    return {i for i, row in enumerate(table) if i and len(row) > 2 and row[2] == "" and row[1] not in ("", DASH)}


def _group_table(rows: list[dict[str, Any]], section: str, name_of: Any, words: dict[str, str],
                 styles: dict[str, ParagraphStyle], suppressed: str, k: int) -> Table:
    extra = [] if section == "emotions" else ["mean_score", "negative_share"]
    table = [[words["key"], words["posts"], words["authors"], *(words[e] for e in extra)]]
    for r in rows:
        if not r["suppressed"]:
            table.append([str(name_of(r["key"]))[:MAX_NAME], _int(r["posts"]), _int(r["authors"]),
                          *(_value(e, r.get(e), False, suppressed) for e in extra)])
    hidden = sum(1 for r in rows if r["suppressed"])
    if hidden:  # one line, not a row per small group (whose names alone say little and fill pages)
        table.append([_count(words, "hidden_groups", hidden, k), "", "", *("" for _ in extra)])
    return _table(table, styles, widths=(7 * cm, *(2.5 * cm for _ in table[0][1:])),
                  span_rows={len(table) - 1} if hidden else set(), span_from=0)


def _table(rows: list[list[str]], styles: dict[str, ParagraphStyle], header: bool = True, wrap: bool = False,
           widths: tuple[float, ...] | None = None, span_rows: set[int] = frozenset(),  # type: ignore[assignment]
           span_from: int = 1) -> Table:
    """Header cells wrap (long Vietnamese labels); body cells wrap only when asked, so figures stay on one line."""
    cells = [[Paragraph(escape(str(c)), styles["th" if header and i == 0 else "body"]) if wrap or (header and i == 0)
              else str(c) for c in row] for i, row in enumerate(rows)]
    table = Table(cells, colWidths=widths, repeatRows=1 if header else 0, hAlign="LEFT")
    font, size = styles["body"].fontName, styles["body"].fontSize
    commands: list[tuple] = [("GRID", (0, 0), (-1, -1), 0.4, GRID), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                             ("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), size)]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL))
    commands += [("SPAN", (span_from, i), (-1, i)) for i in sorted(span_rows)]
    table.setStyle(TableStyle(commands))
    return table


def _value(name: str, value: Any, is_suppressed: bool, suppressed: str) -> str:
    if is_suppressed:
        return suppressed
    if value is None:
        return DASH
    if name.endswith("_share") or name == "net":
        return _percent(value)
    return signed(value, 3) if name == "mean_score" else _int(value)


def _change(value: float | None, unit: str | None, lang: str) -> str:
    if value is None or unit is None:
        return DASH
    if unit == "percent":
        return f"{signed(value, 1)} %"
    return f"{signed(value, 1)} {'điểm' if lang == 'vi' else 'pts'}" if unit == "points" else signed(value, 3)


def signed(value: float, places: int) -> str:
    """`value` with its sign, rounded to `places`; what rounds to zero is "0.0", never "-0.0" nor "+0.0"."""
    rounded = round(value, places) + 0.0  # + 0.0 turns -0.0 into 0.0
    return f"{rounded:+.{places}f}" if rounded else f"{0:.{places}f}"


def _percent(value: float | None) -> str:
    return DASH if value is None else f"{value * 100:.1f} %"


def _int(value: int | None) -> str:
    return DASH if value is None else f"{value:,}"

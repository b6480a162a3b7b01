"""The evidence map: studies as columns, outcomes as rows, findings as markers and relations as arcs, inline SVG."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from html import escape

from rdflib import URIRef

from ...sparql.results import display
from .model import DisagreementView, FindingView, StudyView, claim
from .phrases import p_text

_COLOURS = {"increase": "#2f6db3", "decrease": "#c2671b", "no-change": "#6b7785", "other": "#6b7785"}
_DISAGREE = "#c0392b"
_AGREE = "#9aa3ad"
_CHAR = 6.6  # average width of a 12px sans-serif character, rounded up
_ROW = 26.0
_ROW_LABEL = 52  # characters of an outcome label shown before it is cut (the full label is in the tooltip)
_PAGE_WIDTH = 1060.0  # the width the figure may fill on the page before it scrolls
_SLOT = 15.0


def _f(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _marker(code: str, x: float, y: float, significant: bool | None, size: float = 5.5) -> str:
    colour = _COLOURS.get(code, _COLOURS["other"])
    if significant is True:
        paint = f'fill="{colour}" stroke="#fff" stroke-width="1"'
    elif significant is False:
        paint = f'fill="#fff" stroke="{colour}" stroke-width="1.6"'
    else:
        paint = f'fill="{colour}" fill-opacity="0.4" stroke="{colour}" stroke-width="1.2"'
    if code == "increase":
        h = size * 1.15
        return (f'<path d="M{_f(x)} {_f(y - h)}L{_f(x + size)} {_f(y + h * 0.75)}L{_f(x - size)} {_f(y + h * 0.75)}Z" '
                f"{paint}/>")
    if code == "decrease":
        h = size * 1.15
        return (f'<path d="M{_f(x)} {_f(y + h)}L{_f(x + size)} {_f(y - h * 0.75)}L{_f(x - size)} {_f(y - h * 0.75)}Z" '
                f"{paint}/>")
    return f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{_f(size * 0.85)}" {paint}/>'


def _arc(x1: float, y1: float, x2: float, y2: float, top: float) -> str:
    """A quadratic curve between two points, bowed up (or down when there is no room above)."""
    dx, dy = x2 - x1, y2 - y1
    length = math.hypot(dx, dy) or 1.0
    nx, ny = -dy / length, dx / length
    if ny > 0 or (ny == 0 and nx > 0):
        nx, ny = -nx, -ny
    bow = min(0.28 * length, 70.0) + 6.0
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2
    if my + ny * bow < top:
        nx, ny = -nx, -ny
    return f"M{_f(x1)} {_f(y1)}Q{_f(mx + nx * bow)} {_f(my + ny * bow)} {_f(x2)} {_f(y2)}"


def evidence_map_svg(
    studies: Sequence[StudyView],
    outcomes: Sequence[tuple[URIRef, str, int]],
    disagreements: Sequence[DisagreementView],
    agreements: Sequence[tuple[URIRef, URIRef]],
) -> str:
    """Studies as columns (strongest evidence level first), outcomes as rows, findings as markers, relations as arcs."""
    row_of = {iri: index for index, (iri, _, _) in enumerate(outcomes)}
    by_iri = {f.iri: f for study in studies for f in study.findings}
    # Column widths: room for the most findings one study reports on one outcome. Cells are kept per
    # study: looking a study's cells up among every cell made the map quadratic in the studies.
    per_cell: dict[tuple[URIRef, URIRef | None], list[FindingView]] = defaultdict(list)
    cells_of: dict[URIRef, list[tuple[URIRef | None, list[FindingView]]]] = defaultdict(list)
    for study in studies:
        for finding in study.findings:
            cell = per_cell[(study.iri, finding.outcome_iri)]
            if not cell:
                cells_of[study.iri].append((finding.outcome_iri, cell))
            cell.append(finding)
    widths = []
    for study in studies:
        most = max([len(cell) for _, cell in cells_of[study.iri]] or [1])
        widths.append(max(30.0, most * _SLOT + 14.0))

    label_chars = min(max([len(label) + depth * 2 for _, label, depth in outcomes] or [10]), _ROW_LABEL)
    left = 20.0 + label_chars * _CHAR + 14.0
    study_chars = min(max([len(s.label) for s in studies] or [8]), 30)
    slant = study_chars * _CHAR * math.sin(math.radians(45))
    # Few studies: widen the columns (up to a limit) so that the figure fills a page's width.
    room = _PAGE_WIDTH - left - slant * 0.75 - 16.0
    if studies and sum(widths) < room:
        extra = (room - sum(widths)) / len(widths)
        widths = [min(w + extra, max(w, 76.0)) for w in widths]
    top = 24.0 + slant + 30.0
    grid_w = sum(widths)
    grid_h = max(len(outcomes), 1) * _ROW
    legend_h = 78.0
    width = max(left + grid_w + slant * 0.75 + 16.0, 700.0)
    height = top + grid_h + 24.0 + legend_h

    xs = []
    cursor = left
    for w in widths:
        xs.append(cursor)
        cursor += w

    position: dict[URIRef, tuple[float, float]] = {}
    for column, study in enumerate(studies):
        for outcome, cell in cells_of[study.iri]:
            if outcome not in row_of:
                continue
            y = top + row_of[outcome] * _ROW + _ROW / 2
            start = xs[column] + (widths[column] - len(cell) * _SLOT) / 2 + _SLOT / 2
            for slot, finding in enumerate(cell):
                position[finding.iri] = (start + slot * _SLOT, y)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="evidence-map" role="img" '
        f'aria-labelledby="map-title map-desc" width="{_f(width)}" height="{_f(height)}" '
        f'viewBox="0 0 {_f(width)} {_f(height)}">',
        '<title id="map-title">Evidence map</title>',
        f'<desc id="map-desc">{len(studies)} studies as columns, ordered by evidence level; '
        f"{len(outcomes)} outcomes as rows, narrower outcomes indented under broader ones; "
        f"{len(position)} findings as markers; {len(disagreements)} disagreements as red arcs and "
        f"{len(agreements)} agreements as grey arcs.</desc>",
    ]
    # Row stripes and labels.
    out.append('<g class="rows">')
    for index, (_, label, depth) in enumerate(outcomes):
        y = top + index * _ROW
        if index % 2 == 0:
            out.append(f'<rect x="12" y="{_f(y)}" width="{_f(left - 12 + grid_w)}" height="{_f(_ROW)}" '
                       'fill="#f4f6f8"/>')
        shown = _short(label, _ROW_LABEL - depth * 2)
        indent = 20.0 + depth * 12.0
        tick = (f'<path d="M{_f(indent - 8)} {_f(y + 7)}V{_f(y + _ROW / 2)}H{_f(indent - 3)}" fill="none" '
                f'stroke="#b7bec7"/>' if depth else "")
        out.append(f'<g>{tick}<text x="{_f(indent)}" y="{_f(y + _ROW / 2 + 4)}" class="row-label">'
                   f"<title>{escape(label)}</title>{escape(shown)}</text></g>")
    out.append("</g>")
    # Column guides, evidence-level groups and study labels.
    out.append('<g class="columns">')
    previous_rank = None
    for column, study in enumerate(studies):
        x, w = xs[column], widths[column]
        cx = x + w / 2
        out.append(f'<line x1="{_f(cx)}" y1="{_f(top)}" x2="{_f(cx)}" y2="{_f(top + grid_h)}" stroke="#e3e7ec"/>')
        if previous_rank is not None and study.level_rank != previous_rank:
            out.append(f'<line x1="{_f(x)}" y1="{_f(top - 24)}" x2="{_f(x)}" y2="{_f(top + grid_h)}" '
                       'stroke="#9aa3ad" stroke-dasharray="3 3"/>')
        previous_rank = study.level_rank
        name = _short(study.label, 30)
        tip = f"{study.label}: {study.design or 'design not stated'}; {study.level or 'no evidence level'}"
        out.append(
            f'<a href="#{escape(study.anchor)}"><title>{escape(tip)}</title>'
            f'<text transform="translate({_f(cx + 3)} {_f(top - 30)}) rotate(-45)" class="col-label">'
            f"{escape(name)}</text></a>"
        )
        rank = f"L{study.level_rank}" if study.level_rank != 99 else "–"  # noqa: RUF001
        out.append(f'<text x="{_f(cx)}" y="{_f(top - 9)}" text-anchor="middle" class="level-tag">'
                   f"<title>{escape(study.level or 'evidence level not known')}</title>{rank}</text>")
    out.append("</g>")

    # Relations: agreements under disagreements, markers on top.
    def edge(a: URIRef, b: URIRef) -> str | None:
        if a not in position or b not in position:
            return None
        (x1, y1), (x2, y2) = position[a], position[b]
        return _arc(x1, y1, x2, y2, top + 4)

    # Many relations: thinner, fainter arcs, so that the markers stay visible.
    crowd = len(agreements) + len(disagreements)
    fade = 1.0 if crowd <= 60 else max(0.25, math.sqrt(60 / crowd))
    out.append('<g class="agreements" fill="none">')
    for a, b in agreements:
        path = edge(a, b)
        if path is None:
            continue
        tip = f"Agreement: {_describe(by_iri.get(a), a)} and {_describe(by_iri.get(b), b)}"
        out.append(f'<path d="{path}" stroke="{_AGREE}" stroke-width="1.4" stroke-opacity="{0.85 * fade:.2f}">'
                   f"<title>{escape(tip)}</title></path>")
    out.append("</g>")
    out.append('<g class="disagreements" fill="none">')
    for d in disagreements:
        path = edge(d.left.iri, d.right.iri)
        if path is None:
            continue
        dash = ' stroke-dasharray="5 3"' if d.dependent else ""
        tip = (f"Disagreement {d.number} ({', '.join(d.kinds)}): {d.left.study_label}, {claim(d.left)} vs "
               f"{d.right.study_label}, {claim(d.right)}; {d.outcome}")
        out.append(f'<a href="#{d.anchor}"><title>{escape(tip)}</title>'
                   f'<path d="{path}" stroke="#fff" stroke-width="4" stroke-opacity="{0.8 * fade:.2f}"/>'
                   f'<path d="{path}" stroke="{_DISAGREE}" stroke-width="1.9" stroke-opacity="{fade:.2f}"{dash}/></a>')
    out.append("</g>")
    out.append('<g class="findings">')
    for study in studies:
        for finding in study.findings:
            if finding.iri not in position:
                continue
            x, y = position[finding.iri]
            tip = f"{finding.study_label}: {finding.outcome}, {finding.direction} ({finding.significance})"
            if finding.p_value:
                tip += f", p {p_text(finding.p_value)}"
            tip += f"; {finding.contrast}"
            out.append(f'<a href="#{escape(finding.anchor)}"><title>{escape(tip)}</title>'
                       f"{_marker(finding.direction_code, x, y, finding.significant)}</a>")
    out.append("</g>")
    out.append(_legend(12.0, top + grid_h + 26.0))
    out.append("</svg>")
    return "\n".join(out)


def _describe(finding: FindingView | None, iri: URIRef) -> str:
    return f"{finding.study_label} ({finding.outcome}, {finding.direction})" if finding else display(iri)


def _legend(x: float, y: float) -> str:
    parts = [f'<g class="legend" transform="translate({_f(x)} {_f(y)})">',
             '<text x="0" y="0" class="legend-head">Legend</text>']
    row1 = [("increase", "increase"), ("decrease", "decrease"), ("no-change", "no change")]
    cx = 8.0
    for code, text in row1:
        parts.append(_marker(code, cx, 20, True))
        parts.append(f'<text x="{_f(cx + 11)}" y="24">{text}</text>')
        cx += 22 + len(text) * _CHAR
    cx += 14
    for significant, text in ((True, "significant"), (False, "not significant"), (None, "significance not reported")):
        parts.append(_marker("increase", cx, 20, significant))
        parts.append(f'<text x="{_f(cx + 11)}" y="24">{text}</text>')
        cx += 22 + len(text) * _CHAR
    cx = 0.0
    for colour, dash, text in ((_DISAGREE, "", "disagreement"), (_DISAGREE, ' stroke-dasharray="5 3"',
                                                                 "disagreement, dependent evidence"),
                               (_AGREE, "", "agreement")):
        parts.append(f'<path d="M{_f(cx)} 50Q{_f(cx + 14)} 38 {_f(cx + 28)} 50" fill="none" stroke="{colour}" '
                     f'stroke-width="1.9"{dash}/>')
        parts.append(f'<text x="{_f(cx + 34)}" y="52">{text}</text>')
        cx += 48 + len(text) * _CHAR
    parts.append(f'<text x="{_f(cx)}" y="52">L1–L5: evidence level, L1 the strongest</text>')  # noqa: RUF001
    parts.append("</g>")
    return "".join(parts)


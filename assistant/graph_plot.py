"""Deals -> an interactive SVG of who supplies whom: one line per supplier -> customer pair, with a count.

Companies that only supply sit on the left, those that only buy on the right, those that do both in
the middle, so every label is horizontal and readable. Each line carries `data-pair` (for a click)
and a `<title>` listing its deals (for a hover).
"""

from __future__ import annotations

import html
from collections import defaultdict

from assistant.types import Deal

KIND_COLOURS = {
    "lab": "#60a5fa",
    "cloud": "#f59e0b",
    "chipmaker": "#34d399",
    "neocloud": "#a78bfa",
    "data-center": "#f472b6",
    "investor": "#94a3b8",
    "hardware": "#cbd5e1",
    "energy": "#facc15",
}
WIDTH, ROW, TOP = 780, 28, 56
COLUMNS = (130, 390, 610)  # x of suppliers, both, customers


def pair_key(supplier: str, customer: str) -> str:
    return f"{supplier} → {customer}"


def pairs(deals: list[Deal]) -> dict[tuple[str, str], list[Deal]]:
    """Deals aggregated per (supplier, customer), in first-seen order."""
    out: dict[tuple[str, str], list[Deal]] = defaultdict(list)
    for d in deals:
        out[(d.supplier, d.customer)].append(d)
    return dict(out)


def deals_svg(deals: list[Deal], kind_of) -> str:
    """SVG markup; `kind_of(name)` gives a company's kind for its colour."""
    if not deals:
        return '<div class="sources-empty">No deals match these filters.</div>'
    by_pair = pairs(deals)
    suppliers = {s for s, _ in by_pair}
    customers = {c for _, c in by_pair}
    degree: dict[str, int] = defaultdict(int)
    for (s, c), items in by_pair.items():
        degree[s] += len(items)
        degree[c] += len(items)
    columns = [
        sorted(suppliers - customers, key=lambda n: (-degree[n], n)),
        sorted(suppliers & customers, key=lambda n: (-degree[n], n)),
        sorted(customers - suppliers, key=lambda n: (-degree[n], n)),
    ]
    rows = max(len(col) for col in columns)
    height = TOP + rows * ROW + 20
    pos = {}
    for x, col in zip(COLUMNS, columns, strict=True):
        offset = TOP + (rows - len(col)) * ROW / 2
        for i, name in enumerate(col):
            pos[name] = (x, offset + i * ROW + ROW / 2)
    edges = []
    for i, ((s, c), items) in enumerate(sorted(by_pair.items(), key=lambda kv: len(kv[1]))):
        (x1, y1), (x2, y2) = pos[s], pos[c]
        if x1 == x2:  # both in the middle column: bow out to the right
            bend = 60 + abs(y2 - y1) / 4
            points = ((x1 + 8, y1), (x1 + bend, y1), (x2 + bend, y2), (x2 + 8, y2))
        else:
            dx = (x2 - x1) / 2
            points = ((x1 + 8, y1), (x1 + dx, y1), (x2 - dx, y2), (x2 - 8, y2))
        path = "M{:.0f},{:.0f} C{:.0f},{:.0f} {:.0f},{:.0f} {:.0f},{:.0f}".format(*[v for p in points for v in p])
        # Counts sit at different points along their lines so the ones sharing a company do not pile up.
        mid = _bezier(points, 0.3 + 0.1 * (i % 5))
        key = html.escape(pair_key(s, c), quote=True)
        lines = "\n".join(f"• {_deal_line(d)}" for d in items)
        title = html.escape(f"{pair_key(s, c)}: {len(items)} deal{'s' if len(items) > 1 else ''}\n{lines}")
        count = (
            f'<circle cx="{mid[0]:.0f}" cy="{mid[1]:.0f}" r="9" class="count"/>'
            f'<text x="{mid[0]:.0f}" y="{mid[1] + 4:.0f}" class="count">{len(items)}</text>'
            if len(items) > 1
            else ""
        )
        edges.append(
            f'<g class="pair" data-pair="{key}" tabindex="0"><title>{title}</title>'
            f'<path d="{path}" class="hit"/><path d="{path}" class="line" '
            f'style="stroke-width:{min(1.5 + len(items), 7)}"/>{count}</g>'
        )
    nodes = []
    for name, (x, y) in pos.items():
        colour = KIND_COLOURS.get(kind_of(name) or "", "#e5e7eb")
        anchor, dx = ("end", -12) if x == COLUMNS[0] else ("start", 12)
        label = html.escape(name)
        nodes.append(
            f'<g class="node"><title>{label} ({html.escape(kind_of(name) or "company")}): {degree[name]} deals</title>'
            f'<circle cx="{x}" cy="{y:.0f}" r="8" fill="{colour}"/>'
            f'<text x="{x + dx}" y="{y + 4:.0f}" text-anchor="{anchor}">{label}</text></g>'
        )
    kinds = sorted({kind_of(n) or "" for n in pos} & set(KIND_COLOURS))
    legend = "".join(
        f'<circle cx="{14 + i * 96}" cy="40" r="6" fill="{KIND_COLOURS[k]}"/>'
        f'<text x="{24 + i * 96}" y="44" class="legend">{html.escape(k)}</text>'
        for i, k in enumerate(kinds)
    )
    heads = "".join(
        f'<text x="{x}" y="18" text-anchor="middle" class="head">{t}</text>'
        for x, t in zip(COLUMNS, ("supplies", "supplies and buys", "buys"), strict=True)
    )
    return (
        f'<svg class="deal-graph" viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
        f'aria-label="{len(deals)} deals between {len(pos)} companies">'
        f"{heads}{legend}{''.join(edges)}{''.join(nodes)}</svg>"
    )


def _bezier(points, t: float) -> tuple[float, float]:
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points
    a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
    return a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3


def _deal_line(deal: Deal) -> str:
    what = f"{deal.resource}; {deal.scale}" if deal.scale else deal.resource
    what = what if len(what) <= 90 else what[:89] + "…"
    return f"{what} ({deal.status}, {deal.announced or 'undated'})"

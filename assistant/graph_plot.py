"""Deals -> a PNG picture of the supplier -> customer graph, edges labelled with resource and scale."""

from __future__ import annotations

import io
import textwrap

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


def plot_deals(deals: list[Deal], kind_of, max_labels: int = 40) -> bytes:
    """PNG bytes; `kind_of(name)` gives a company's kind for its colour."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import networkx as nx

    graph = nx.DiGraph()
    labels: dict[tuple[str, str], list[str]] = {}
    for d in deals:
        graph.add_edge(d.supplier, d.customer)
        labels.setdefault((d.supplier, d.customer), []).append(_label(d))
    fig, ax = plt.subplots(figsize=(11, 8), dpi=90)
    ax.set_axis_off()
    if not deals:
        ax.text(0.5, 0.5, "No deals match these filters", ha="center", va="center", fontsize=14)
    else:
        pos = nx.spring_layout(graph, k=1.6, seed=7, iterations=200)
        colours = [KIND_COLOURS.get(kind_of(n) or "", "#e5e7eb") for n in graph.nodes]
        nx.draw_networkx_nodes(graph, pos, node_color=colours, node_size=1500, ax=ax, edgecolors="#334155")
        nx.draw_networkx_labels(graph, pos, font_size=8, ax=ax)
        nx.draw_networkx_edges(
            graph,
            pos,
            ax=ax,
            arrows=True,
            arrowsize=14,
            node_size=1500,
            edge_color="#64748b",
            connectionstyle="arc3,rad=0.08",
        )
        if len(labels) <= max_labels:
            edge_text = {
                pair: "\n".join(items[:2]) + (f"\n+{len(items) - 2} more" if len(items) > 2 else "")
                for pair, items in labels.items()
            }
            nx.draw_networkx_edge_labels(
                graph,
                pos,
                edge_labels=edge_text,
                font_size=6,
                ax=ax,
                bbox={"boxstyle": "round", "fc": "white", "alpha": 0.8, "lw": 0},
            )
        handles = [
            plt.Line2D([], [], marker="o", ls="", color=c, label=k, markersize=8)
            for k, c in KIND_COLOURS.items()
            if k in {kind_of(n) for n in graph.nodes}
        ]
        ax.legend(handles=handles, loc="lower left", fontsize=8, frameon=False)
        ax.set_title(f"{len(deals)} deals, supplier → customer", fontsize=11)
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def _label(deal: Deal) -> str:
    text = f"{deal.resource}; {deal.scale}" if deal.scale else deal.resource
    return textwrap.shorten(text, width=48, placeholder="…")

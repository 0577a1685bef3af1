"""Answer + deal graph -> next questions worth asking, phrased in the direction the deals run.

A company that supplies others gets "Whom does X supply?", one that buys gets "Who supplies compute
to X?", and a pair is asked about only the way round the graph has a deal:
Nvidia -> OpenAI gives "What did Nvidia agree to supply to OpenAI?", never the reverse.
"""

from __future__ import annotations

from assistant.types import Answer


def follow_ups(answer: Answer, entities, graph, limit: int = 3) -> list[str]:
    """Up to `limit` questions about the companies the answer names that it did not already ask about."""
    if answer.abstained:
        return []
    names = entities.mentions(answer.text) or entities.mentions(answer.standalone_question)
    asked = set(entities.mentions(answer.standalone_question))
    out: list[str] = []
    for name in [n for n in names if n not in asked] + [n for n in names if n in asked]:
        supplies, buys = bool(graph.deals(supplier=name)), bool(graph.deals(customer=name))
        if supplies and (not buys or name not in asked):
            question = f"Whom does {name} supply?"
        elif buys:
            question = f"Who supplies compute to {name}?"
        else:
            continue
        out.append(question)
        if len(out) == limit - 1:
            break
    pair = _pair(names, graph)
    if pair:
        out.append(f"What did {pair[0]} agree to supply to {pair[1]}?")
    out.append("How many deals over 1 GW?")
    asked_now = answer.standalone_question.strip().lower()
    return [q for q in dict.fromkeys(out) if q.lower() != asked_now][:limit]


def _pair(names: list[str], graph) -> tuple[str, str] | None:
    """The first two named companies with a deal between them, supplier first."""
    for i, a in enumerate(names[:4]):
        for b in names[i + 1 : 5]:
            if graph.deals(supplier=a, customer=b):
                return a, b
            if graph.deals(supplier=b, customer=a):
                return b, a
    return None

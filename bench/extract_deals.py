"""Deal extraction scored against the hand-written ledgers, beside a baseline.

Copies the corpus, strips every note's `deals:` ledger, reads deals from the bodies the way ingest
does, and scores supplier -> customer pairs against the ledgers (per note, and as distinct graph
edges), plus scale figures and dates of the matched pairs.

    nice -n 10 python -m bench.extract_deals [--corpus corpus] [--show-misses]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import yaml

from assistant import review, sentences, textmatch
from assistant.corpus import load_corpus
from assistant.entities import EntityTable
from assistant.readers import split_front_matter
from assistant.types import DealEntry, Document


def strip_ledgers(source: Path, target: Path) -> int:
    """A copy of the corpus with no `deals:` in any front matter; returns how many notes had one."""
    shutil.copytree(source, target)
    stripped = 0
    for path in target.rglob("*.md"):
        text = path.read_text(encoding="utf-8")
        meta, body = split_front_matter(text, path.name)
        if meta is None or "deals" not in meta:
            continue
        meta.pop("deals")
        path.write_text("---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) + "---\n" + body)
        stripped += 1
    return stripped


def baseline(doc: Document, entities: EntityTable) -> list[DealEntry]:
    """Any two known companies in one sentence, the one of a supplying kind as supplier."""
    rank = {"lab": 1, "investor": 2, "cloud": 2}
    out = {}
    for s, e in sentences.spans(doc.body):
        sentence = doc.body[s:e]
        names = entities.mentions(sentence)
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                pair = (b, a) if rank.get(entities.kind(b) or "", 3) > rank.get(entities.kind(a) or "", 3) else (a, b)
                out.setdefault(pair, DealEntry(*pair, "", "", doc.published, "announced", sentence, origin="extracted"))
    return list(out.values())


def score(
    truth: dict[str, list[DealEntry]], found: dict[str, list[DealEntry]], entities: EntityTable
) -> dict[str, float]:
    def canon(e: DealEntry) -> tuple[str, str]:
        return (entities.resolve(e.supplier) or e.supplier, entities.resolve(e.customer) or e.customer)

    gold = {(d, canon(e)): e for d, es in truth.items() for e in es}
    got = {(d, canon(e)): e for d, es in found.items() for e in es}
    hits = gold.keys() & got.keys()
    edges_gold = {k[1] for k in gold}
    edges_got = {k[1] for k in got}
    scaled = [k for k in hits if textmatch.figures(gold[k].scale)]
    scale_ok = sum(1 for k in scaled if _figures_agree(gold[k].scale, got[k].scale))
    dated = [k for k in hits if gold[k].announced]
    date_ok = sum(1 for k in dated if got[k].announced == gold[k].announced)
    month_ok = sum(1 for k in dated if (got[k].announced or "")[:7] == (gold[k].announced or "")[:7])
    return {
        "pairs found": len(got),
        "note precision": len(hits) / len(got) if got else 0.0,
        "note recall": len(hits) / len(gold) if gold else 0.0,
        "edge precision": len(edges_gold & edges_got) / len(edges_got) if edges_got else 0.0,
        "edge recall": len(edges_gold & edges_got) / len(edges_gold) if edges_gold else 0.0,
        "scale accuracy": scale_ok / len(scaled) if scaled else 0.0,
        "date accuracy (day)": date_ok / len(dated) if dated else 0.0,
        "date accuracy (month)": month_ok / len(dated) if dated else 0.0,
    }


def _figures_agree(gold: str, got: str) -> bool:
    """The extracted scale names at least one of the ledger's figures (within 2%)."""
    want = textmatch.figures(gold)
    return any(k == j and abs(v - w) <= 0.02 * max(v, w) for k, v in textmatch.figures(got) for j, w in want)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="corpus")
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    source = Path(args.corpus)
    entities = EntityTable.load(source / "entities.yaml")
    docs, _ = load_corpus(source, entities)
    truth = {d.doc_id: list(d.deals) for d in docs if d.deals}
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "corpus"
        stripped = strip_ledgers(source, copy)
        bare, errors = load_corpus(copy)
        began = time.perf_counter()
        completed = review.complete(bare, copy)
        seconds = time.perf_counter() - began
    # A deal read without a date in its sentence is placed at its source's date.
    found = {
        d.doc_id: [replace(e, announced=e.announced or d.published) for e in d.deals]
        for d in completed
        if d.doc_id in truth
    }
    base = {d.doc_id: baseline(d, entities) for d in bare if d.doc_id in truth}
    ours, theirs = score(truth, found, entities), score(truth, base, entities)
    print(f"{len(truth)} notes, {stripped} ledgers stripped, {sum(map(len, truth.values()))} ledger deals")
    print(f"{'':24}{'extractor':>12}{'baseline':>12}")
    for key in ours:
        fmt = "{:>12.0f}" if key == "pairs found" else "{:>12.3f}"
        print(f"{key:24}" + fmt.format(ours[key]) + fmt.format(theirs[key]))
    new = sorted({n for d in completed for n, _ in d.new_companies})
    kinds = {n: k for d in completed for n, k in d.new_companies}
    print(f"provisional companies: {len(new)}" + (f" ({', '.join(f'{n}: {kinds[n]}' for n in new)})" if new else ""))
    print(f"extraction time: {seconds:.2f}s for {len(bare)} documents; load errors: {len(errors)}")
    if args.show_misses:
        _misses(truth, found, entities)


def _misses(truth: dict, found: dict, entities: EntityTable) -> None:
    def canon(e: DealEntry) -> tuple[str, str]:
        return (entities.resolve(e.supplier) or e.supplier, entities.resolve(e.customer) or e.customer)

    for doc_id in sorted(truth):
        gold = {canon(e): e for e in truth[doc_id]}
        got = {canon(e): e for e in found.get(doc_id, [])}
        for pair in gold.keys() - got.keys():
            print(f"MISS {doc_id}: {pair[0]} -> {pair[1]}\n     {gold[pair].quote}")
        for pair in got.keys() - gold.keys():
            print(f"EXTRA {doc_id}: {pair[0]} -> {pair[1]}\n     {got[pair].quote}")
        for pair in got.keys() & gold.keys():
            g, e = gold[pair], got[pair]
            if textmatch.figures(g.scale) and not _figures_agree(g.scale, e.scale):
                print(f"SCALE {doc_id}: {pair}: ledger {g.scale!r} / read {e.scale!r}")
            if g.announced and g.announced != e.announced:
                print(f"DATE {doc_id}: {pair}: ledger {g.announced} / read {e.announced}")


if __name__ == "__main__":
    main()

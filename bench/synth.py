"""Generate a synthetic corpus of N notes from the real ones, for scale benchmarks (not committed).

Each synthetic note is a real note with its companies swapped for others of the same kind, its
figures scaled and its dates shifted, applied to the whole file so quotes stay exact substrings.

    python bench/synth.py --docs 10000 --out /tmp/synthetic-corpus
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def generate(count: int, out: Path, seed: int = 7) -> Path:
    rng = random.Random(seed)
    source = REPO / "corpus"
    entities = yaml.safe_load((source / "entities.yaml").read_text(encoding="utf-8"))
    by_kind: dict[str, list[str]] = {}
    for name, spec in entities.items():
        by_kind.setdefault(spec["kind"], []).append(name)
    notes = sorted((source / "notes").rglob("*.md"))
    if out.exists():
        shutil.rmtree(out)
    (out / "notes").mkdir(parents=True)
    shutil.copy(source / "entities.yaml", out / "entities.yaml")
    for i in range(count):
        text = notes[i % len(notes)].read_text(encoding="utf-8")
        for names in by_kind.values():
            if len(names) > 1 and rng.random() < 0.7:
                a, b = rng.sample(names, 2)
                text = re.sub(rf"\b{re.escape(a)}\b", f"\0{b}\0", text)
        text = text.replace("\0", "")
        factor = rng.choice([0.5, 2, 3, 1.5])
        text = re.sub(r"(\$)(\d+(?:\.\d+)?)", lambda m, f=factor: f"{m.group(1)}{float(m.group(2)) * f:g}", text)
        shift = rng.randint(-2, 2)
        text = re.sub(r"\b(20[12]\d)\b", lambda m, d=shift: str(int(m.group(1)) + d), text)
        text = text.replace("\nurl: ", f"\nurl: https://synthetic.example/{i}?from=", 1)
        text = text.replace("\ntitle: ", f"\ntitle: S{i} ", 1)
        (out / "notes" / f"synthetic-{i:05d}.md").write_text(text, encoding="utf-8")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=Path("/tmp/synthetic-corpus"))
    args = parser.parse_args()
    print(generate(args.docs, args.out))


if __name__ == "__main__":
    main()

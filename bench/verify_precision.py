"""How well the citation verifier separates supported from unsupported sentences, on scripted cases.

    python bench/verify_precision.py

Each case is a sentence citing one real passage of the corpus: good ones quote or paraphrase it,
bad ones change a figure, swap a company or claim something the passage does not say. Prints how
many of each the verifier accepts, and the precision/recall of its "supported" verdict.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PASSAGE_OF = {
    "amd": "AMD agreed on 6 October 2025 to supply OpenAI with 6 GW",
    "google": "Google will pay SpaceX $920 million per month",
    "akamai": "Akamai Technologies agreed to provide Anthropic with $1.8 billion",
    "rainier": "Amazon's Project Rainier cluster went live for Anthropic on 29 October 2025",
    "iren": "IREN signed a five-year contract worth about $9.7 billion",
}
GOOD = [
    ("amd", "AMD agreed to supply OpenAI with 6 GW of Instinct GPUs."),
    ("amd", "In October 2025 AMD committed 6 GW of AMD Instinct GPUs to OpenAI."),
    ("google", "Google will pay SpaceX $920 million a month for Nvidia GPUs in xAI data centers."),
    ("google", "SpaceX will receive $920 million per month from Google for about 110,000 Nvidia GPUs."),
    ("akamai", "Akamai will provide Anthropic with $1.8 billion of cloud computing capacity over seven years."),
    ("akamai", "Anthropic gets $1.8 billion of Akamai cloud capacity over seven years."),
    ("rainier", "Project Rainier went live for Anthropic on 29 October 2025 with about 500,000 Trainium2 chips."),
    ("rainier", "AWS planned to pass 1 million Trainium2 chips in Project Rainier by the end of 2025."),
    ("iren", "IREN signed a five-year contract worth about $9.7 billion with Microsoft."),
    ("iren", "Microsoft gets access to Nvidia GB300 GPUs from IREN under a $9.7 billion contract."),
]
BAD = [
    ("amd", "AMD agreed to supply OpenAI with 16 GW of Instinct GPUs."),
    ("amd", "Nvidia agreed to supply OpenAI with 6 GW of Instinct GPUs."),
    ("google", "Google will pay SpaceX $9 billion a month for compute."),
    ("google", "Microsoft will pay SpaceX $920 million per month for GPUs."),
    ("akamai", "Akamai will provide Anthropic with $18 billion of cloud capacity."),
    ("akamai", "Akamai will build three nuclear power plants for the Anthropic campus in Ohio."),
    ("rainier", "Project Rainier went live for Anthropic with about 5 million Trainium2 chips."),
    ("rainier", "Google's Project Rainier runs on TPUs for OpenAI."),
    ("iren", "IREN signed a contract worth about $97 billion with Microsoft."),
    ("iren", "IREN will move its headquarters to Lisbon next spring, the company said."),
]


def main() -> None:
    import assistant  # noqa: F401
    from assistant import citations
    from assistant.api import Assistant
    from assistant.settings import Settings

    live = Assistant(Settings(corpus_dir=REPO / "corpus"))
    passages = {}
    for key, needle in PASSAGE_OF.items():
        hits = [p for p in live.retriever.retrieve(needle, top_k=8) if needle in p.text]
        passages[key] = hits[0]
    accepted = {"good": 0, "bad": 0}
    for label, cases in (("good", GOOD), ("bad", BAD)):
        for key, sentence in cases:
            _, _, verdicts = citations.verify(
                sentence.rstrip(".") + " [1].", [passages[key]], live.vectors, live.entities
            )
            ok = all(v.supported for v in verdicts)
            accepted[label] += ok
            print(f"{label:4} {'accepted' if ok else 'flagged ':8} {verdicts[0].reason[:60]:60} | {sentence}")
    tp, fp = accepted["good"], accepted["bad"]
    precision = tp / (tp + fp) if tp + fp else 0.0
    print(
        f"\ngood accepted {tp}/{len(GOOD)}, bad flagged {len(BAD) - fp}/{len(BAD)}; "
        f"precision of 'supported' {precision:.2f}, recall {tp / len(GOOD):.2f}"
    )


if __name__ == "__main__":
    main()

"""The offline answerer on two hand-written passages: it quotes the best sentence word for word or abstains."""

import pytest

from assistant import extractive
from assistant.embedding import SentenceVectors, load_embedder
from assistant.entities import EntityTable
from assistant.extractive import Candidate
from assistant.types import Passage

TABLE = EntityTable(
    {
        "AMD": {"kind": "chipmaker", "aliases": []},
        "OpenAI": {"kind": "lab", "aliases": []},
        "Oracle": {"kind": "cloud", "aliases": []},
        "Meta": {"kind": "lab", "aliases": []},
    }
)
AMD_TEXT = (
    "# AMD and OpenAI\n\nAMD agreed on 6 October 2025 to supply OpenAI with 6 GW of Instinct GPUs. "
    "The first 1 GW ships in the second half of 2026. Shares rose."
)
PASSAGES = [
    Passage("amd@0", "notes/amd.md", AMD_TEXT, 1.0, "AMD and OpenAI", "Nasdaq", "https://x/amd", "2025-10-06", 100),
    Passage(
        "oracle@0",
        "notes/oracle.md",
        "Oracle will supply OpenAI with about 4.5 GW of data center capacity. Oracle also sells databases to banks.",
        1.0,
        "Oracle deal",
        "DeepNewz",
        "https://x/oracle",
        None,
    ),
]


@pytest.fixture(scope="module")
def vectors():
    return SentenceVectors(load_embedder())


def test_the_answer_quotes_the_best_sentence_and_points_into_its_source(vectors):
    text, quoted = extractive.draft("What did AMD agree to supply to OpenAI?", PASSAGES, vectors, TABLE)
    sentence = "AMD agreed on 6 October 2025 to supply OpenAI with 6 GW of Instinct GPUs."
    assert text == "AMD agreed on 6 October 2025 to supply OpenAI with 6 GW of Instinct GPUs [1]."
    assert [(p.doc_id, p.text) for p in quoted] == [("notes/amd.md", sentence)]
    # The quoted sentence keeps its offset in the document: passage start plus its place in the passage.
    assert (
        quoted[0].start == 100 + AMD_TEXT.index(sentence) and quoted[0].chunk_id == f"amd@0@{AMD_TEXT.index(sentence)}"
    )


def test_it_abstains_when_nothing_answers_or_a_company_asked_about_is_absent(vectors):
    assert extractive.draft("What is the capital of France?", PASSAGES, vectors, TABLE) is None
    assert extractive.draft("What does Meta buy from AMD?", PASSAGES, vectors, TABLE) is None


def test_near_duplicates_and_weak_sentences_are_left_out():
    ranked = [
        Candidate(1, "Amazon sells Trainium chips to Anthropic.", 0.9, frozenset()),
        Candidate(1, "Amazon sells Trainium chips to Anthropic now.", 0.85, frozenset()),
        Candidate(2, "Google rents TPUs to Anthropic.", 0.8, frozenset()),
        Candidate(2, "A weak sentence far below the best.", 0.5, frozenset()),
    ]
    assert [c.text for c in extractive.select(ranked)] == [
        "Amazon sells Trainium chips to Anthropic.",
        "Google rents TPUs to Anthropic.",
    ]
    assert extractive.select([Candidate(1, "Too weak to answer.", 0.1, frozenset())]) == []


def test_the_marker_goes_before_the_closing_stop():
    assert extractive.cite_sentence("X costs $1 billion.", 2) == "X costs $1 billion [2]."
    assert extractive.cite_sentence("Really?", 1) == "Really [1]?"
    assert extractive.cite_sentence("No stop", 3) == "No stop [3]."

"""Citation numbering (whole and streamed) and the sentence verifier, on small hand-made passages."""

import pytest

from assistant.citations import cited_numbers, renumber, strip_markers, verify
from assistant.embedding import SentenceVectors, load_embedder
from assistant.entities import EntityTable
from assistant.llm import LiveRenumber
from assistant.types import Passage

TABLE = EntityTable(
    {
        "AMD": {"kind": "chipmaker", "aliases": []},
        "OpenAI": {"kind": "lab", "aliases": ["ChatGPT"]},
        "Oracle": {"kind": "cloud", "aliases": ["OCI"]},
    }
)
PASSAGES = [
    Passage(
        "notes/amd.md@0",
        "notes/amd.md",
        "AMD agreed on 6 October 2025 to supply OpenAI with 6 GW of Instinct GPUs. The first 1 GW ships in 2026.",
        1.0,
        "AMD and OpenAI",
        "Nasdaq",
        "https://example.com/amd",
        "2025-10-06",
    ),
    Passage(
        "notes/oracle.md@0",
        "notes/oracle.md",
        "Oracle will supply OpenAI with about 4.5 GW of capacity.",
        1.0,
        "Oracle deal",
        "DeepNewz",
        "https://example.com/oracle",
        None,
    ),
]


@pytest.fixture(scope="module")
def vectors():
    return SentenceVectors(load_embedder())


@pytest.mark.parametrize(
    ("draft", "valid", "shown", "mapping"),
    [
        ("AMD supplies 6 GW [3]. OpenAI pays [1][9].", 4, "AMD supplies 6 GW [1]. OpenAI pays [2].", {3: 1, 1: 2}),
        ("A [2]. B [2, 5][1]. C [7].", 5, "A [1]. B [1][2][3]. C.", {2: 1, 5: 2, 1: 3}),
        ("One [2] two [1] [2].", 2, "One [1] two [2][1].", {2: 1, 1: 2}),
        ("Nothing to cite.", 3, "Nothing to cite.", {}),
        ("Only bad numbers [0] and [4].", 3, "Only bad numbers and.", {}),
    ],
)
def test_renumber_orders_by_first_use_and_drops_unknown_numbers(draft, valid, shown, mapping):
    assert renumber(draft, valid) == (shown, mapping)


def test_renumber_continues_a_numbering_it_is_given():
    assert renumber("D [2]. E [3].", 3, {2: 1, 1: 2}) == ("D [1]. E [3].", {2: 1, 1: 2, 3: 3})


def test_markers_are_read_and_stripped():
    assert cited_numbers("A [2, 3][1].") == [2, 3, 1]
    assert strip_markers("A [2][1]. (unverified)") == "A."


@pytest.mark.parametrize(
    "draft",
    [
        "AMD supplies 6 GW [3]. OpenAI pays [1][9]. Oracle [2, 3] too [12].",
        "One [2] two [1] [2]  three [4].\nNext [5] line [1]",
    ],
)
def test_streamed_renumbering_matches_the_final_text_wherever_the_stream_splits(draft):
    final = renumber(draft, 4)[0]
    for i in range(len(draft) + 1):
        for j in range(i, len(draft) + 1):
            live = LiveRenumber(4)
            shown = [live.feed(draft[:i]), live.feed(draft[i:j]), live.feed(draft[j:]), live.flush()]
            assert "".join(shown) == final, (draft[:i], draft[i:j], draft[j:])


def test_streamed_renumbering_holds_back_a_split_marker():
    live = LiveRenumber(4)
    assert live.feed("AMD supplies 6 GW [") == "AMD supplies 6 GW"
    assert live.feed("3]. OpenAI") == " [1]. OpenAI"
    assert live.flush() == ""
    assert live.mapping == {3: 1}


def test_a_supported_sentence_keeps_its_citation_and_quotes_the_closest_sentence(vectors):
    text, citations, verdicts = verify(
        "AMD will supply OpenAI with 6 GW of Instinct GPUs [2]. Oracle adds about 4.5 GW [1].",
        PASSAGES[::-1],
        vectors,
        TABLE,
    )
    assert text == "AMD will supply OpenAI with 6 GW of Instinct GPUs [1]. Oracle adds about 4.5 GW [2]."
    assert [(c.number, c.doc_id, c.verified) for c in citations] == [
        (1, "notes/amd.md", True),
        (2, "notes/oracle.md", True),
    ]
    assert citations[0].quote == "AMD agreed on 6 October 2025 to supply OpenAI with 6 GW of Instinct GPUs."
    assert [(v.citations, v.supported, v.reason) for v in verdicts] == [
        ((1,), True, "supported"),
        ((2,), True, "supported"),
    ]


@pytest.mark.parametrize(
    ("draft", "reason"),
    [
        ("AMD will supply OpenAI with 9 GW of GPUs [1].", "figures not in the cited sources: 9 GW"),
        ("Oracle will supply OpenAI with 6 GW of Instinct GPUs [1].", "companies not in the cited sources: Oracle"),
        ("OpenAI enjoys long walks on the beach with AMD [1].", "not close to any cited sentence"),
    ],
)
def test_an_unsupported_sentence_is_marked_and_its_citation_unverified(vectors, draft, reason):
    text, citations, verdicts = verify(draft, PASSAGES, vectors, TABLE)
    assert text.endswith(" (unverified)")
    assert [c.verified for c in citations] == [False]
    assert verdicts[0].reason.startswith(reason) and not verdicts[0].supported


def test_sentences_without_citations_are_judged_by_whether_they_state_facts(vectors):
    text, citations, verdicts = verify(
        "The sources list one deal:\n\nAMD supplies OpenAI. The weather is nice today.", PASSAGES, vectors, TABLE
    )
    assert citations == []
    assert [(v.supported, v.reason) for v in verdicts] == [
        (True, "lead-in to a list"),
        (False, "no citation"),
        (True, "no facts to cite"),
    ]
    assert text == "The sources list one deal:\n\nAMD supplies OpenAI. (unverified) The weather is nice today."


def test_a_cited_number_outside_the_passages_is_dropped_before_judging(vectors):
    text, citations, verdicts = verify("AMD will supply OpenAI with 6 GW [9].", PASSAGES, vectors, TABLE)
    assert (text, citations) == ("AMD will supply OpenAI with 6 GW. (unverified)", [])
    assert verdicts[0].reason == "no citation"

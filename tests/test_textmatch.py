"""Content words, overlap and figures: the lexical evidence the answerers and the verifier weigh."""

import pytest

from assistant.textmatch import figures, jaccard, overlap, unsupported_figures, words


def test_words_drop_stopwords_possessives_and_plurals():
    assert words("The chips' makers say Nvidia's GPUs cost $1.5bn, access") == [
        "chip",
        "maker",
        "say",
        "nvidia",
        "gpu",
        "cost",
        "1.5bn",
        "access",
    ]


def test_overlap_is_the_share_of_question_words_found():
    assert overlap("Which chips does Amazon sell?", "Amazon sells Trainium chips.") == 1.0
    assert overlap("Which chips does Amazon sell?", "Google rents TPUs.") == 0.0
    assert overlap("Which of them?", "anything") == 0.0  # nothing to look for


def test_jaccard_compares_both_sides():
    assert jaccard("Amazon sells chips", "Amazon sells GPUs") == 0.5
    assert jaccard("", "Amazon") == 0.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$30 billion", {("usd", 3e10)}),
        ("€2bn", {("usd", 2e9)}),
        ("1.2 GW and 750 MW", {("w", 1.2e9), ("w", 7.5e8)}),
        ("27% or 5 percent", {("pct", 27.0), ("pct", 5.0)}),
        ("220,000 GPUs in 2025", {("n", 220000.0), ("n", 2025.0)}),
        ("Google pays $0.92 billion a month", {("usd", 9.2e8)}),
        ("no figures here", set()),
    ],
)
def test_figures_are_normalised_by_kind(text, expected):
    assert figures(text) == expected


def test_unsupported_figures_name_only_what_the_sources_lack():
    sources = "Oracle pays $30.1 billion a year for 4.5 gigawatts."
    # $30 billion is within 0.5% of $30.1 billion and 4.5 GW is 4.5 gigawatts; 2027 appears nowhere.
    assert unsupported_figures("Oracle pays $30 billion for 4.5 GW from 2027.", sources) == ["2027"]
    assert unsupported_figures("Oracle pays $32 billion.", sources) == ["$32 billion"]
    assert unsupported_figures("It runs 3 years at two sites.", sources) == []  # small counts are not policed

"""Dates named in questions -> ISO prefixes, and partial-date comparison."""

import pytest

from assistant.dates import as_of, on_or_before, since


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("As of March 2025, who supplied compute to Anthropic?", "2025-03"),
        ("Who supplied Anthropic as of 5 June 2024?", "2024-06-05"),
        ("Who supplied Anthropic as of June 5, 2024?", "2024-06-05"),
        ("Which deals were signed by 2025-06-30?", "2025-06-30"),
        ("Who had a deal before end of 2024?", "2024"),
        ("Which deals were signed in 2025?", None),  # a period, not a cut-off
        ("Who supplied Meta by Smarch 2025?", None),  # not a month
        ("Who supplies Meta?", None),
    ],
)
def test_as_of_reads_the_cut_off_a_question_names(question, expected):
    assert as_of(question) == expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What changed since 1 January 2026?", "2026-01-01"),
        ("Which deals came after 2025-03?", "2025-03"),
        ("What is new from May 2025?", "2025-05"),
        ("What changed?", None),
    ],
)
def test_since_reads_the_start_a_question_names(question, expected):
    assert since(question) == expected


def test_partial_dates_compare_at_the_cut_off_precision():
    assert on_or_before("2025-03-04", "2025-03")
    assert not on_or_before("2025-04-01", "2025-03")
    assert on_or_before("2025", "2025-01-01")
    assert on_or_before(None, "2020")  # undated sources are kept

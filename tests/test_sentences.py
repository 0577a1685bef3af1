"""Sentence spans with exact offsets: abbreviations, headings, list items and paragraphs."""

from assistant.sentences import spans


def _split(text: str) -> list[str]:
    return [text[s:e] for s, e in spans(text)]


def test_abbreviations_and_initials_do_not_end_a_sentence():
    text = "Oracle Corp. Chairman Larry Ellison met Dr. Lisa Su in the U.S. Congress. It holds 500,000 chips! Is it?"
    assert _split(text) == [
        "Oracle Corp. Chairman Larry Ellison met Dr. Lisa Su in the U.S. Congress.",
        "It holds 500,000 chips!",
        "Is it?",
    ]


def test_headings_list_items_and_paragraphs_end_sentences():
    text = (
        '# Rainier\nAWS built it\nfor Anthropic.\n\n- one long list item\n1. a numbered item\nLast "quoted." Then more.'
    )
    assert _split(text) == [
        "Rainier",
        "AWS built it\nfor Anthropic.",
        "one long list item",
        "1. a numbered item",
        'Last "quoted."',
        "Then more.",
    ]


def test_offsets_point_back_into_the_text():
    text = "  Nvidia ships GB300 racks.   Lambda rents them.  "
    assert spans(text) == [(2, 27), (30, 48)]


def test_a_lower_case_continuation_is_not_a_new_sentence_and_scraps_are_dropped():
    assert _split("It costs approx. $5 billion. ok") == ["It costs approx. $5 billion. ok"]
    assert _split("a.\n\nb") == []

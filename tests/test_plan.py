"""Reading a question into a Plan: intent by meaning (the example bank), slots by the entity table."""

import collections

import pytest
from conftest import CORPUS

from assistant.embedding import SentenceVectors, load_embedder
from assistant.entities import EntityTable
from assistant.plan import example_bank, load_examples, read_plan
from assistant.slots import read_slots
from assistant.types import INTENTS

TABLE = EntityTable.load(CORPUS / "entities.yaml")


@pytest.fixture(scope="module")
def vectors():
    return SentenceVectors(load_embedder("local"))


def test_every_intent_has_dozens_of_examples():
    counts = collections.Counter(intent for _, intent in load_examples())
    assert set(counts) == set(INTENTS)
    assert min(counts.values()) >= 20


def test_example_bank_reads_its_held_out_examples(vectors):
    # Each example is read by a reader fitted without it (five folds), then settled by its slots.
    rows = example_bank(vectors, TABLE).held_out()
    right = sum(label == read for _, label, read in rows)
    wrong = [(q, label, read) for q, label, read in rows if label != read]
    assert right / len(rows) >= 0.85, wrong


@pytest.mark.parametrize(
    ("question", "intent", "suppliers", "customers"),
    [
        ("Who supplies compute to Anthropic?", "suppliers_of", (), ("Anthropic",)),
        ("Whom does CoreWeave supply?", "customers_of", ("CoreWeave",), ()),
        ("Where does Meta get its GPUs from?", "suppliers_of", (), ("Meta",)),
        ("Which labs use TPUs?", "customers_of", ("Google",), ()),
        ("Does AMD supply OpenAI?", "between", ("AMD",), ("OpenAI",)),
        ("How many deals are over 1 GW?", "count", (), ()),
        ("Why did xAI sell compute to Anthropic?", "reason", ("xAI",), ("Anthropic",)),
    ],
)
def test_intent_and_roles_follow_the_relation(vectors, question, intent, suppliers, customers):
    plan = read_plan(question, TABLE, vectors)
    assert (plan.intent, plan.suppliers, plan.customers) == (intent, suppliers, customers)
    assert plan.reader == "examples"


def test_the_same_verb_points_both_ways_by_position():
    assert read_slots("Who sells chips to OpenAI?", TABLE).customers == ("OpenAI",)
    assert read_slots("Who does OpenAI buy chips from?", TABLE).customers == ("OpenAI",)
    assert read_slots("Who does Nvidia sell chips to?", TABLE).suppliers == ("Nvidia",)
    assert read_slots("Is OpenAI supplied by Oracle?", TABLE).suppliers == ("Oracle",)
    # A name that has the others "as customers" is their supplier, and the other way round.
    assert read_slots("What labs has Amazon Web Services got as customers?", TABLE).suppliers == ("Amazon",)
    assert read_slots("Whom does Meta have as its suppliers?", TABLE).customers == ("Meta",)
    # No verb: the lab is the customer of the deal.
    amd = read_slots("How big is AMD's deal with OpenAI?", TABLE)
    assert (amd.suppliers, amd.customers, amd.attribute) == (("AMD",), ("OpenAI",), "size")


def test_exclusions_kinds_and_resources_are_read():
    plan = read_slots("Who supplies Anthropic apart from Google, excluding GPUs?", TABLE)
    assert (plan.customers, plan.excluded, plan.excluded_resources) == (("Anthropic",), ("Google",), ("GPU",))
    plan = read_slots("Which of Microsoft's suppliers are not neoclouds?", TABLE)
    assert (plan.customers, plan.excluded_kinds) == (("Microsoft",), ("neocloud",))
    plan = read_slots("Which hyperscalers and chipmakers work with Lambda Labs?", TABLE)
    assert plan.kinds == ("cloud", "chipmaker")  # "Labs" in a name is no kind


def test_time_window_and_threshold_are_read():
    assert read_slots("As of March 2025, who supplied OpenAI?", TABLE).as_of == "2025-03"
    assert read_slots("What changed since 1 January 2026?", TABLE).since == "2026-01-01"
    assert read_slots("Which deals came after April 2026?", TABLE).since == "2026-05"  # after April starts in May
    assert read_slots("Since mid-2025, which contracts were signed?", TABLE).since == "2025-06"
    assert read_slots("Who supplied xAI by the end of 2024?", TABLE).as_of == "2024-12"
    between = read_slots("Which deals were signed between May 2025 and Q1 2026?", TABLE)
    assert (between.since, between.until) == ("2025-05", "2026-03")
    assert read_slots("How many deals are above 500 MW?", TABLE).threshold == ("GW", 0.5)
    assert read_slots("Contracts worth more than $10 billion?", TABLE).threshold == ("USD", 1e10)
    # A date says when; it is not the detail asked for.
    assert read_slots("Which deals were announced in 2025?", TABLE).attribute == ""


def test_a_precomputed_vector_saves_the_embedding(vectors):
    example_bank(vectors, TABLE)
    calls = []

    def counting(texts):
        calls.append(texts)
        return vectors(texts)

    counting.embedder = vectors.embedder  # the same model: the fitted bank is reused
    question = "How many deals are over 1 GW?"
    plan = read_plan(question, TABLE, counting, vector=vectors.query(question))
    embedded = [text for batch in calls for text in batch]
    assert plan.intent == "count" and question not in embedded
    assert embedded == ["How many deals are"]  # only the opening words, read on their own


def test_without_a_model_the_rules_read_the_intent():
    plan = read_plan("How many deals are over 1 GW?", TABLE)
    assert (plan.intent, plan.reader, plan.threshold) == ("count", "rules", ("GW", 1.0))
    assert read_plan("Who supplies compute to Anthropic?", TABLE).intent == "suppliers_of"


def test_a_bank_cache_spares_the_next_process_the_embedding(vectors, tmp_path):
    from assistant.plan import ExampleBank

    examples = load_examples()[:40]
    calls = []

    def counting(texts):
        calls.append(len(texts))
        return vectors(texts)

    first = ExampleBank(examples, counting, TABLE, cache=tmp_path)
    again = ExampleBank(examples, counting, TABLE, cache=tmp_path)
    assert calls == [80]  # the questions and their opening words, embedded once
    assert (first.features == again.features).all()
    assert [p.suffix for p in tmp_path.iterdir()] == [".npy"]  # no partial file left behind

"""standalone question -> Plan: what is asked (by meaning), about whom and within which limits (by structure).

The intent comes from MiniLM similarity to a bank of labelled example questions
(`plan_examples.yaml`); companies come from the entity table, their roles from where they stand
around the supply verb, and the other slots from a few light rules:

    "Whom does CoreWeave supply, apart from OpenAI?"
    -> Plan(intent="excluding", suppliers=("CoreWeave",), excluded=("OpenAI",), ...)
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from assistant.entities import EntityTable
from assistant.errors import ConfigError
from assistant.readers import YAML_LOADER
from assistant.slots import read_slots
from assistant.types import ATTRIBUTES, INTENTS, Plan

EXAMPLES = Path(__file__).with_name("plan_examples.yaml")
FLOOR = 0.2  # below this score the question resembles no intent of the bank: the rules decide
STRUCTURE_WEIGHT = 2.0  # how much the slots count against the sentence vector when reading an intent
HEAD_WORDS = 4  # the opening words of a question ("how many", "which came first", "why did") ...
HEAD_WEIGHT = 0.5  # ... embedded on their own, at this weight beside the whole question
RIDGE = 0.3  # the reader's regularisation; the three values were chosen on the bank and the dev questions

Embed = Callable[[list[str]], object]  # texts -> unit vectors (rows), e.g. embedding.SentenceVectors

# The question word and the slots are the structure of a question; its vector is the meaning.
_HEADS = (
    r"\bhow many\b",
    r"\bhow much\b",
    r"\bwhy\b|\bhow come\b",
    r"^\W*when\b",
    r"^\W*(?:who|whom|to whom|from whom)\b",
    r"^\W*which\b",
    r"^\W*what\b",
    r"^\W*how\b",
    r"^\W*(?:is|are|was|were|does|do|did|has|have|had|can|could|will|any)\b",
    r"^\W*(?:list|name|give|show|tell|describe|compare|summari[sz]e|count|add|sum|tally|walk|trace|put|contrast)\b",
)
_HEAD_PATTERNS = tuple(re.compile(p, re.I) for p in _HEADS)


# -- the example bank -----------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """The intent the bank reads, its score (about 1 for a typical example), the runner-up and the gap."""

    intent: str
    score: float
    runner_up: str
    margin: float


def load_examples(path: Path = EXAMPLES) -> list[tuple[str, str]]:
    """(question, intent) pairs of the bank, in file order; every intent must be one of INTENTS."""
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the example questions: {exc}") from exc
    pairs: list[tuple[str, str]] = []
    for intent, questions in raw.items():
        if intent not in INTENTS:
            raise ConfigError(f"{path}: {intent!r} is not one of {', '.join(INTENTS)}")
        for question in questions or ():
            if not isinstance(question, str):
                raise ConfigError(f"{path}: {intent}: {question!r} is not a question (quote it if it has a colon)")
            pairs.append((question, intent))
    return pairs


def masked(question: str, entities: EntityTable) -> str:
    """The question with each company named replaced by "X": what is asked, not whom it names, decides."""
    for start, end, _ in reversed(entities.spans(question)):
        question = question[:start] + "X" + question[end:]
    return question


def structure(question: str, slots: Plan):
    """A short vector of the question's form: its question word, how many companies, which slots are filled."""
    import numpy as np

    n = len(slots.companies)
    features = [bool(p.search(question)) for p in _HEAD_PATTERNS]
    features += [n == 0, n == 1, n == 2, n >= 3, bool(slots.suppliers), bool(slots.customers)]
    features += [
        bool(slots.excluded or slots.excluded_resources or slots.excluded_kinds),
        slots.threshold is not None,
        slots.since is not None,
        bool(slots.until or slots.as_of),
        bool(slots.kinds),
        bool(slots.resources),
    ]
    features += [slots.attribute == a for a in ATTRIBUTES]
    vector = np.asarray(features, dtype=np.float32)
    return vector * (STRUCTURE_WEIGHT / np.sqrt(len(vector)))


class ExampleBank:
    """The labelled examples as features (sentence vector + structure) and a linear reader fitted to them.

    A linear reader over MiniLM vectors is a learned set of intent centroids: it weighs the parts of a
    question's meaning that tell intents apart more than the topic every question here shares
    (plain nearest neighbours read 5 in 10 of the bank's own examples right; this reader nearly 9 in
    10 before the slots settle the direction of a relation).
    """

    def __init__(
        self, examples: Sequence[tuple[str, str]], embed: Embed, entities: EntityTable, cache: Path | None = None
    ) -> None:
        """`cache` is a folder keeping the examples' vectors between processes (one file per bank and model)."""
        import numpy as np

        self.entities = entities
        self.questions = [q for q, _ in examples]
        self.intents = [i for _, i in examples]
        self.labels = list(dict.fromkeys(self.intents))
        texts = [masked(q, entities) for q in self.questions]
        every = _vectors(embed, [*texts, *(_head(t) for t in texts)], cache)
        vectors, heads = _unit(every[: len(texts)]), _unit(every[len(texts) :]) * HEAD_WEIGHT
        self.slots = [read_slots(q, entities) for q in self.questions]
        shapes = np.stack([structure(q, slots) for q, slots in zip(self.questions, self.slots, strict=True)])
        self.features = np.hstack([vectors, heads, shapes]).astype(np.float32)
        self.targets = np.array([self.labels.index(i) for i in self.intents])
        self.weights, self.bias = _fit(self.features, self.targets, len(self.labels))

    def read(self, features) -> Reading:
        """The most probable intent for one feature row (see `features_of`)."""
        import numpy as np

        return _reading(np.asarray(features) @ self.weights + self.bias, self.labels)

    def held_out(self, folds: int = 5) -> list[tuple[str, str, str]]:
        """(question, label, read) for every example, each read by a reader fitted without its fold
        and settled by its slots as `read_plan` does."""
        import numpy as np

        index = np.arange(len(self.questions))
        rows = []
        for fold in range(folds):
            test = index % folds == fold
            weights, bias = _fit(self.features[~test], self.targets[~test], len(self.labels))
            for i in index[test]:
                best = self.labels[int(np.argmax(self.features[i] @ weights + bias))]
                slots = oriented(best, self.slots[i], self.entities)
                rows.append((self.questions[i], self.intents[i], settle(best, slots)))
        return rows


def features_of(question: str, slots: Plan, entities: EntityTable, embed: Embed, vector=None):
    """The reader's input: the masked question's unit vector (reusing `vector` when masking changes
    nothing), the vector of its opening words, and its structure."""
    import numpy as np

    text = masked(question, entities)
    head = _head(text)
    todo = [t for t, needed in ((text, vector is None or text != question), (head, head != text)) if needed]
    got = dict(zip(todo, _embed_all(embed, todo), strict=True)) if todo else {}  # one model run for both
    vector = got.get(text, vector)
    head_vector = got.get(head, vector)
    rows = _unit(np.asarray([vector, head_vector], dtype=np.float32))
    return np.concatenate([rows[0], rows[1] * HEAD_WEIGHT, structure(question, slots)])


def _head(text: str) -> str:
    return " ".join(text.split()[:HEAD_WORDS])


def _fit(features, targets, classes: int, ridge: float = RIDGE):
    """Least squares to one-hot targets with a ridge (one linear solve: deterministic, milliseconds)."""
    import numpy as np

    x = np.hstack([features, np.ones((len(features), 1), dtype=np.float32)]).astype(np.float64)
    onehot = np.eye(classes)[targets]
    weights = np.linalg.solve(x.T @ x + ridge * np.eye(x.shape[1]), x.T @ onehot)
    return weights[:-1].astype(np.float32), weights[-1].astype(np.float32)


def _reading(scores, labels: list[str]) -> Reading:
    order = scores.argsort()[::-1]
    best, second = int(order[0]), int(order[1])
    margin = float(scores[best] - scores[second])
    return Reading(labels[best], float(scores[best]), labels[second], max(0.0, min(1.0, margin)))


def _unit(vectors):
    import numpy as np

    vectors = np.asarray(vectors, dtype=np.float32)
    return vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12)


def _vectors(embed: Embed, texts: list[str], cache: Path | None):
    """Vectors of `texts`, read from `cache` when an earlier process stored the very same texts and model."""
    import hashlib

    import numpy as np

    model = getattr(embed, "embedder", embed)
    name = str(getattr(model, "model_name", type(model).__name__))
    from assistant.embedding import shared_dir

    key = hashlib.sha256("\n".join([name, *texts]).encode("utf-8")).hexdigest()[:20]
    path = cache / f"plan-examples-{key}.npy" if cache else None
    # Set-up (`python -m assistant.plan`) leaves the same file in the environment for every data folder.
    for found in (path, shared_dir() / f"plan-examples-{key}.npy"):
        if found is not None and found.exists():
            try:
                stored = np.load(found)
                if stored.shape[0] == len(texts):
                    return stored
            except (OSError, ValueError):
                pass  # a damaged cache file is recomputed and replaced
    vectors = np.asarray(_embed_all(embed, texts), dtype=np.float32)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.part")
            with partial.open("wb") as out:
                np.save(out, vectors)
            partial.replace(path)  # whole or absent, never half-written
        except OSError:
            pass  # a read-only folder just embeds again next time
    return vectors


def _embed_all(embed: Embed, texts: list[str]):
    if hasattr(embed, "get_text_embedding_batch"):  # a llama-index embedding model
        return embed.get_text_embedding_batch(texts)
    return embed(texts)


def _embed_one(embed: Embed, text: str):
    if hasattr(embed, "get_query_embedding"):
        return embed.get_query_embedding(text)
    if hasattr(embed, "query"):
        return embed.query(text)
    return _embed_all(embed, [text])[0]


_BANKS: dict[tuple[int, int], tuple[object, EntityTable, ExampleBank]] = {}
_BANKS_LOCK = threading.Lock()


def example_bank(embed: Embed, entities: EntityTable, cache: Path | None = None) -> ExampleBank:
    """The bank fitted once per embedding model and entity table (the model, not its cache wrapper, keys it).

    With `cache` (a folder, e.g. the index's data folder) the examples' vectors are kept there, so a
    new process fits the reader in well under a second instead of embedding a thousand sentences."""
    model = getattr(embed, "embedder", embed)
    key = (id(model), id(entities))
    with _BANKS_LOCK:  # the start-up thread and a first question fit it once, not twice at once
        cached = _BANKS.get(key)
        if cached is None or cached[0] is not model or cached[1] is not entities:
            cached = (model, entities, ExampleBank(load_examples(), embed, entities, cache))
            _BANKS[key] = cached
    return cached[2]


# -- reading a question ----------------------------------------------------------------------


def read_plan(
    question: str, entities: EntityTable, embed: Embed | None = None, vector=None, cache: Path | None = None
) -> Plan:
    """The Plan of a standalone question.

    `embed` turns texts into unit vectors (the retriever's `SentenceVectors`, or a llama-index model);
    `vector` is the question's own vector when the caller already has it. Without either, rules alone
    read the intent (`reader="rules"`). `cache` is a folder keeping the example bank's vectors.
    """
    question = " ".join(question.split())
    slots = read_slots(question, entities)
    reading = None
    if embed is not None:
        bank = example_bank(embed, entities, cache)
        reading = bank.read(features_of(question, slots, entities, embed, vector))
    if reading is not None and reading.score >= FLOOR:
        intent, reader = reading.intent, "examples"
        confidence = round(reading.margin, 3)
    else:
        intent, reader, confidence = _rules_intent(question, slots), "rules", 0.5
    slots = oriented(intent, slots, entities)
    intent = settle(intent, slots)
    return replace(slots, intent=intent, reader=reader, confidence=confidence)


RELATIONS = ("suppliers_of", "customers_of", "excluding", "intersection")


LISTS = (*RELATIONS, "count", "total", "changed_since", "timeline")


def oriented(intent: str, plan: Plan, entities: EntityTable) -> Plan:
    """A question over someone's deals whose words give no direction ("Who has CoreWeave signed with?",
    "What new deals has Anthropic signed?") takes it from the kind of the company named: a lab buys
    compute, a cloud, chipmaker or neocloud sells it. A company named with its own product
    ("xAI's Colossus") is left as it is."""
    if intent not in LISTS or plan.suppliers or plan.customers or not plan.companies:
        return plan
    if any(entities.resolve(r) in plan.companies for r in plan.resources):
        return plan
    kinds = {entities.kind(c) for c in plan.companies}
    if kinds == {"lab"}:
        return replace(plan, customers=plan.companies)
    if "lab" not in kinds and None not in kinds:
        return replace(plan, suppliers=plan.companies)
    return plan


def settle(intent: str, plan: Plan) -> str:
    """Structure settles what meaning alone cannot: which way a relation points, and exclusions."""
    if intent == "changed_since" and plan.attribute == "date" and not (plan.since or plan.until or plan.as_of):
        return "facts"  # "Since when?" asks a date, not what changed
    excluded = plan.excluded or plan.excluded_resources or plan.excluded_kinds
    if intent in ("suppliers_of", "customers_of", "excluding", "intersection"):
        if intent != "intersection" or len(plan.companies) < 2:
            if excluded and intent != "excluding":
                return "excluding"
            if intent == "excluding" and not excluded:
                intent = "suppliers_of" if plan.customers else "customers_of" if plan.suppliers else intent
    if intent in ("suppliers_of", "customers_of"):
        if plan.suppliers and not plan.customers:
            return "customers_of"
        if plan.customers and not plan.suppliers:
            return "suppliers_of"
    return intent


_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("article", re.compile(r"\b(?:article|commentary|op-?ed|essay|blog post|opinion piece|author)\b", re.I)),
    ("count", re.compile(r"\bhow many (?:deals|contracts|agreements|suppliers|customers|labs|companies)\b", re.I)),
    ("total", re.compile(r"\b(?:in total|total|altogether|combined|add up|sum)\b", re.I)),
    ("compare", re.compile(r"\b(?:which came first|compare|bigger|larger|earlier|versus|vs\.?)\b", re.I)),
    ("changed_since", re.compile(r"\b(?:since|after)\b", re.I)),
    ("timeline", re.compile(r"\b(?:timeline|history|evolved?|over time|in order)\b", re.I)),
    ("reason", re.compile(r"^\s*(?:why|how come|what (?:is|was) the reason)\b", re.I)),
    ("status", re.compile(r"\b(?:still|status|operational|cancel+ed|stalled|confirmed)\b", re.I)),
)


def _rules_intent(question: str, plan: Plan) -> str:
    for intent, pattern in _RULES:
        if pattern.search(question):
            return intent
    if not plan.companies:
        return "out_of_scope"
    if re.search(r"^\s*(?:who|whom|which|list|name)\b", question, re.I):
        return "suppliers_of" if plan.customers or not plan.suppliers else "customers_of"
    if len(plan.companies) >= 2 and re.match(r"\s*(?:does|did|do|is|has|have|are)\b", question, re.I):
        return "between"
    return "facts"


if __name__ == "__main__":
    # `python -m assistant.plan`: embed the example questions once into the environment's shared folder,
    # so a new data folder (a fresh replica, a first `assistant ask`) reads the reader's vectors.
    from assistant.embedding import SentenceVectors, load_embedder, shared_dir
    from assistant.settings import load_settings

    _settings = load_settings()
    _table = EntityTable.load(Path(_settings.corpus_dir) / "entities.yaml")  # examples are read with its names masked
    example_bank(SentenceVectors(load_embedder(_settings.embed_model, _settings.embed_runtime)), _table, shared_dir())
    print(f"question reader's example vectors in {shared_dir()}")

"""corpus/entities.yaml -> canonical company names, aliases and kinds; finds companies named in text.

>>> table = EntityTable({"Amazon": {"kind": "cloud", "aliases": ["AWS", "Trainium"]}})
>>> table.resolve("aws")
'Amazon'
>>> table.mentions("Claude trains on Trainium2 and AWS chips")
['Amazon']
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from assistant.errors import CorpusError
from assistant.readers import YAML_LOADER

KINDS = ("lab", "cloud", "chipmaker", "neocloud", "data-center", "investor", "hardware", "energy")


@dataclass(frozen=True)
class Entity:
    name: str
    kind: str
    aliases: tuple[str, ...]
    products: tuple[str, ...] = ()


class EntityTable:
    """Resolves any name or alias (case-insensitive) to one canonical company."""

    def __init__(self, raw: dict[str, Any], provisional: frozenset[str] = frozenset()) -> None:
        self.entities: dict[str, Entity] = {}
        self._by_key: dict[str, str] = {}
        self.provisional = provisional  # names read from new reports, not (yet) in entities.yaml
        for name, spec in (raw or {}).items():
            spec = spec or {}
            kind = spec.get("kind", "")
            if kind not in KINDS and name not in provisional:
                raise CorpusError(f"entities.yaml: {name}: kind {kind!r} is not one of {', '.join(KINDS)}")
            aliases = tuple(str(a) for a in spec.get("aliases") or ())
            products = tuple(str(a) for a in spec.get("products") or ())
            self.entities[str(name)] = Entity(str(name), kind, aliases, products)
            for key in (str(name), *aliases, *products):
                other = self._by_key.setdefault(_key(key), str(name))
                if other != str(name):
                    raise CorpusError(f"entities.yaml: alias {key!r} names both {other} and {name}")
        self.fingerprint = hashlib.sha256(
            repr(sorted((e.name, e.kind, e.aliases, e.products) for e in self.entities.values())).encode()
        ).hexdigest()[:16]
        # Longest names first so "Google Cloud" wins over "Google" and "Colossus 2" over "Colossus". A hyphen
        # joins two names ("the xAI-Anthropic deal") but not a name and a number ("Colossus-2").
        self._seen: dict[str, tuple[tuple[int, int, str], ...]] = {}
        names = sorted(self._by_key, key=len, reverse=True)
        self._pattern = (
            re.compile(r"(?<!\w)(" + "|".join(_alias_regex(n) for n in names) + r")(?:'s|’s)?(?!\w|-\d)", re.IGNORECASE)
            if names
            else None
        )

    def __getstate__(self) -> dict:
        return self.__dict__ | {"_seen": {}}  # a saved copy keeps the table, not the texts it scanned

    @classmethod
    def load(cls, path: Path) -> EntityTable:
        try:
            raw = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
        except FileNotFoundError:
            return cls({})
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise CorpusError(f"{path}: cannot read entities: {exc}") from exc
        if raw is not None and not isinstance(raw, dict):
            raise CorpusError(f"{path}: expected a mapping of company name -> kind and aliases")
        return cls(raw or {})

    def with_provisional(self, names: dict[str, str]) -> EntityTable:
        """This table plus companies found in new reports (name -> guessed kind, or 'unknown')."""
        extra = {n: k for n, k in names.items() if not self.resolve(n)}
        if not extra:
            return self
        raw = {
            e.name: {"kind": e.kind, "aliases": list(e.aliases), "products": list(e.products)}
            for e in self.entities.values()
        }
        raw.update({name: {"kind": kind} for name, kind in extra.items()})
        return EntityTable(raw, self.provisional | frozenset(extra))

    def resolve(self, name: str) -> str | None:
        """Canonical name for `name` or any of its aliases; None when unknown."""
        return self._by_key.get(_key(name))

    def kind(self, name: str) -> str | None:
        canonical = self.resolve(name)
        return self.entities[canonical].kind if canonical else None

    def mentions(self, text: str) -> list[str]:
        """Canonical companies named in `text`, in order of first mention."""
        return list(dict.fromkeys(name for _, _, name in self._spans(text)))

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, canonical) for each company mention in `text`."""
        return list(self._spans(text))

    def _spans(self, text: str) -> tuple[tuple[int, int, str], ...]:
        # The same quotes and rows are read again and again while answering: each text is scanned once.
        found = self._seen.get(text)
        if found is None:
            matches = self._pattern.finditer(text) if self._pattern else ()
            found = tuple((m.start(1), m.end(1), self._by_key[_key(m.group(1))]) for m in matches)
            if len(self._seen) >= _SEEN_TEXTS:
                self._seen.clear()
            self._seen[text] = found
        return found

    def products_named(self, text: str) -> list[str]:
        """Product names in `text` (as written), e.g. "TPUs" in "Which labs use TPUs?"."""
        products = {_key(p) for e in self.entities.values() for p in e.products}
        return [text[s:e] for s, e, _ in self.spans(text) if _key(text[s:e]) in products]


_SEEN_TEXTS = 1 << 16  # texts whose company mentions are kept; the memory starts afresh past this


def _key(name: str) -> str:
    return " ".join(name.lower().split())


def _alias_regex(name: str) -> str:
    # Any run of whitespace inside a multi-word name matches ("Google  Cloud").
    return r"\s+".join(re.escape(part) for part in name.split())

"""Files given to `assistant ingest PATH...` -> copies inside the corpus folder (corpus/added/)."""

from __future__ import annotations

import shutil
from pathlib import Path

from assistant.errors import CorpusError
from assistant.readers import MAX_FILE_BYTES, SUFFIXES


def add_files(paths: list[Path], corpus_dir: Path) -> list[Path]:
    """Copy each file into `corpus_dir/added/` (files already inside the corpus are left where they are)."""
    added = []
    root = corpus_dir.resolve()
    for path in paths:
        if not path.is_file():
            raise CorpusError(f"{path}: no such file")
        if path.suffix.lower() not in SUFFIXES:
            raise CorpusError(f"{path}: unsupported type {path.suffix or '(none)'}; use one of {', '.join(SUFFIXES)}")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise CorpusError(f"{path}: larger than {MAX_FILE_BYTES // 1024 // 1024} MB")
        if path.resolve().is_relative_to(root):
            continue
        target = corpus_dir / "added" / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        added.append(target)
    return added

"""Built state <-> a file in the data folder, so a restart reads what the last run built instead of building it.

Each file carries a key (the code that built it and what it was built from); a file whose key differs
is ignored, as is one that cannot be read. Files are written whole and then renamed into place, so a
reader never sees half of one.

>>> import tempfile; folder = Path(tempfile.mkdtemp())
>>> write(folder / "state.pickle", {"store": "a"}, [1, 2])
>>> read(folder / "state.pickle", {"store": "a"}), read(folder / "state.pickle", {"store": "b"})
([1, 2], None)
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import logging
import os
import pickle
import sys
from pathlib import Path

log = logging.getLogger(__name__)


@functools.cache
def code_stamp() -> str:
    """A digest of this package's source and the interpreter's version: any change to the code that
    builds a saved state makes the old file a stranger."""
    digest = hashlib.sha256(sys.version.encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def write(path: Path, key: dict, state: object) -> None:
    """Pickle `state` under `key` to `path` atomically (raises OSError; the partial file is removed)."""
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(partial, "wb") as handle:
            pickle.dump({"key": key | {"code": code_stamp()}, "state": state}, handle, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(path)
    except OSError:
        partial.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def long_lived():
    """Build objects that will live as long as the process (a loaded index): the cyclic collector is
    paused meanwhile, and what exists at the end is moved out of its sight (`gc.freeze`).

    An index is millions of small objects. Without this, collections triggered by their allocation,
    and the full ones that follow, take longer than reading them. They are still freed when dropped,
    unless they are in a reference cycle: only for code that makes no cyclic garbage meanwhile (the
    frozen garbage would stay for good; reading a pickle makes none)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        if paused:
            gc.enable()


def read(path: Path, key: dict, lasting: bool = True) -> object | None:
    """The state saved at `path` under `key` by this code; None when absent, foreign or unreadable.

    `lasting`: read it as `long_lived` objects. Only for state without reference cycles: a frozen
    object in a cycle is never freed (a networkx graph refers to itself through its cached views)."""
    if not path.is_file():
        return None
    try:
        with long_lived() if lasting else contextlib.nullcontext(), open(path, "rb") as handle:
            saved = pickle.load(handle)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError) as exc:
        log.warning("ignoring the unreadable saved state %s: %s", path, exc)
        return None
    if not isinstance(saved, dict) or saved.get("key") != key | {"code": code_stamp()}:
        return None
    return saved.get("state")

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
import mmap
import os
import pickle
import struct
import sys
from pathlib import Path

log = logging.getLogger(__name__)
MAGIC = b"ASSTSNAP"
ALIGN = 64  # bytes: each array starts on a cache line
# What reading a damaged, truncated or foreign file can raise.
UNREADABLE = (
    OSError,
    EOFError,
    pickle.UnpicklingError,
    AttributeError,
    ImportError,
    TypeError,
    ValueError,
    struct.error,
)


@functools.cache
def code_stamp() -> str:
    """A digest of this package's source and the interpreter's version: any change to the code that
    builds a saved state makes the old file a stranger."""
    digest = hashlib.sha256(sys.version.encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def write(path: Path, key: dict, state: object) -> None:
    """Pickle `state` under `key` to `path` atomically (raises OSError; the partial file is removed).

    Arrays (numpy's vectors) are kept apart from the pickle, after it, each at an aligned offset: a
    reader maps them from the file instead of copying them into its memory. The file ends with a
    table of those arrays and a trailer: magic, pickle length, table offset, array count."""
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    arrays: list[pickle.PickleBuffer] = []
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(partial, "wb") as handle:
            saved = {"key": key | {"code": code_stamp()}, "state": state}
            pickle.Pickler(handle, protocol=5, buffer_callback=arrays.append).dump(saved)
            length = handle.tell()
            table = []
            for array in arrays:
                raw = array.raw()
                handle.write(b"\0" * (-handle.tell() % ALIGN))
                table += [handle.tell(), raw.nbytes]
                handle.write(raw)
            offset = handle.tell()
            handle.write(struct.pack(f"<{len(table)}Q", *table))
            handle.write(MAGIC + struct.pack("<QQQ", length, offset, len(arrays)))
        partial.replace(path)
    except OSError:
        partial.unlink(missing_ok=True)
        raise


def _load(path: Path) -> object:
    with open(path, "rb") as handle:
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    trailer = len(mapped) - len(MAGIC) - 24
    if trailer < 0 or mapped[trailer : trailer + len(MAGIC)] != MAGIC:
        raise pickle.UnpicklingError("not a saved state (no trailer)")
    length, offset, count = struct.unpack_from("<QQQ", mapped, trailer + len(MAGIC))
    if length > offset or offset + 16 * count != trailer:
        raise pickle.UnpicklingError("not a saved state (a damaged table)")
    table = struct.unpack_from(f"<{2 * count}Q", mapped, offset)
    view = memoryview(mapped)
    arrays = [view[start : start + size] for start, size in zip(table[::2], table[1::2], strict=True)]
    return pickle.loads(view[:length], buffers=arrays)


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
        with long_lived() if lasting else contextlib.nullcontext():
            saved = _load(path)
    except UNREADABLE as exc:
        log.warning("ignoring the unreadable saved state %s: %s", path, exc)
        return None
    if not isinstance(saved, dict) or saved.get("key") != key | {"code": code_stamp()}:
        return None
    return saved.get("state")

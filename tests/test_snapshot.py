"""Saved state: read back as written, arrays mapped from the file, anything damaged or foreign ignored."""

import numpy as np

from assistant import snapshot


def test_arrays_come_back_equal_and_mapped_from_the_file_not_copied(tmp_path):
    path = tmp_path / "state.pickle"
    vectors = {f"doc{i}": np.random.default_rng(i).random((i + 1, 384), dtype=np.float32) for i in range(5)}
    snapshot.write(path, {"store": "here"}, {"vectors": vectors, "words": ["a", "b"]})

    state = snapshot.read(path, {"store": "here"})
    assert isinstance(state, dict) and state["words"] == ["a", "b"]
    for name, matrix in vectors.items():
        got = state["vectors"][name]
        assert np.array_equal(got, matrix) and got.dtype == np.float32
        assert not got.flags.owndata and not got.flags.writeable  # a view of the mapped file
        assert got.ctypes.data % snapshot.ALIGN == 0

    # Writing a new copy over it leaves what a reader already holds intact.
    snapshot.write(path, {"store": "here"}, {"vectors": {}, "words": []})
    assert np.array_equal(state["vectors"]["doc4"], vectors["doc4"])
    assert snapshot.read(path, {"store": "here"}) == {"vectors": {}, "words": []}


def test_a_damaged_truncated_or_foreign_file_reads_as_nothing(tmp_path):
    path = tmp_path / "state.pickle"
    snapshot.write(path, {"store": "here"}, {"vectors": np.ones((3, 4), dtype=np.float32)})
    whole = path.read_bytes()

    assert snapshot.read(path, {"store": "elsewhere"}) is None
    assert snapshot.read(tmp_path / "absent.pickle", {"store": "here"}) is None
    for damaged in (b"", b"not a saved state", whole[:-5], whole[: len(whole) // 2], whole[:40] + b"x" + whole[41:]):
        path.write_bytes(damaged)
        assert snapshot.read(path, {"store": "here"}) is None
    assert not list(tmp_path.glob("*.tmp"))

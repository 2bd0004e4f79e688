"""Atomic save/load of networks; corrupt and foreign files give clear errors."""

from __future__ import annotations

import dataclasses
import json
import os
import zipfile

import numpy as np
import pytest

from assocrate.errors import InvalidInput
from assocrate.io import (
    FileFormatError,
    atomic_write_text,
    check_output_path,
    load_array,
    load_network,
    load_patterns,
    save_network,
)


def test_round_trip(tmp_path, correlated_network):
    path = save_network(tmp_path / "net.npz", correlated_network)
    loaded = load_network(path)
    assert np.array_equal(loaded.patterns, correlated_network.patterns)
    assert loaded.activation == correlated_network.activation
    for name in ("a", "b", "q", "r", "tau", "alpha", "alpha_prime", "beta", "gamma"):
        assert getattr(loaded, name) == getattr(correlated_network, name)
    assert list(tmp_path.iterdir()) == [path]  # no temp file left behind


def test_truncated_file(tmp_path, equal_overlap_network):
    path = save_network(tmp_path / "net.npz", equal_overlap_network)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(FileFormatError, match="net.npz: not a readable assocrate network file"):
        load_network(path)


def test_foreign_files(tmp_path):
    text = tmp_path / "notes.npz"
    text.write_text("hello")
    with pytest.raises(FileFormatError, match="notes.npz"):
        load_network(text)
    other = tmp_path / "other.npz"
    np.savez(other, x=np.zeros(3))
    with pytest.raises(FileFormatError, match="other.npz"):
        load_network(other)
    with pytest.raises(FileFormatError, match="missing.npz: no such file"):
        load_network(tmp_path / "missing.npz")


def _rewrite_metadata(path, change, *, legacy=False):
    with np.load(path) as archive:
        arrays = dict(archive)
    metadata = json.loads(arrays["metadata"].tobytes())
    change(metadata)
    if legacy:  # a version-1 file: no digest, no sizes in the metadata
        arrays.pop("digest")
        metadata.update(version=1)
        metadata.pop("n_units")
        metadata.pop("n_patterns")
    arrays["metadata"] = np.frombuffer(json.dumps(metadata).encode(), dtype=np.uint8)
    np.savez(path, **arrays)


def test_tampered_and_future_files(tmp_path, equal_overlap_network):
    path = save_network(tmp_path / "net.npz", equal_overlap_network)
    _rewrite_metadata(path, lambda m: m.update(gamma=0.5))
    with pytest.raises(FileFormatError, match="digest does not match"):
        load_network(path)
    save_network(path, equal_overlap_network)
    _rewrite_metadata(path, lambda m: None, legacy=True)
    assert load_network(path).gamma == equal_overlap_network.gamma  # version-1 files still load
    _rewrite_metadata(path, lambda m: m.update(gamma=0.5))
    with pytest.raises(FileFormatError, match="stored gamma=0.5 disagrees"):
        load_network(path)
    save_network(path, equal_overlap_network)
    _rewrite_metadata(path, lambda m: m.update(version=99))
    with pytest.raises(FileFormatError, match="version 99 is not supported"):
        load_network(path)


def test_failed_write_keeps_previous_file(tmp_path, equal_overlap_network):
    path = save_network(tmp_path / "net.npz", equal_overlap_network)
    before = path.read_bytes()

    class Broken:
        name = "sigmoid"

        @property
        def rho(self):
            raise RuntimeError("disk full")

    broken = dataclasses.replace(equal_overlap_network, activation=Broken())
    with pytest.raises(RuntimeError, match="disk full"):
        save_network(path, broken)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["net.npz"]


def test_new_file_permissions_follow_umask(tmp_path, equal_overlap_network):
    previous = os.umask(0o022)
    try:
        path = save_network(tmp_path / "net.npz", equal_overlap_network)
    finally:
        os.umask(previous)
    assert path.stat().st_mode & 0o777 == 0o644


def test_atomic_write_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="file.txt.*does not exist"):
        atomic_write_text(tmp_path / "nope" / "file.txt", "x")


@pytest.mark.parametrize("suffix", [".npy", ".npz", ".csv"])
def test_load_patterns(tmp_path, suffix):
    patterns = np.random.default_rng(0).random((20, 3)) < 0.3
    path = tmp_path / f"p{suffix}"
    if suffix == ".npy":
        np.save(path, patterns)
    elif suffix == ".npz":
        np.savez(path, patterns=patterns)
    else:
        np.savetxt(path, patterns.astype(int), delimiter=",", fmt="%d")
    assert np.array_equal(load_patterns(path).astype(bool), patterns)


def test_load_patterns_errors(tmp_path):
    bad = tmp_path / "p.npy"
    bad.write_bytes(b"garbage")
    with pytest.raises(FileFormatError, match="p.npy: cannot read patterns"):
        load_patterns(bad)
    txt = tmp_path / "p.txt"
    txt.write_text("1,0")
    with pytest.raises(FileFormatError, match="must end in .npy, .npz or .csv"):
        load_patterns(txt)
    many = tmp_path / "m.npz"
    np.savez(many, a=np.zeros(2), b=np.zeros(2))
    with pytest.raises(FileFormatError, match="expected an array named 'patterns'"):
        load_patterns(many)
    assert zipfile.is_zipfile(many)


def test_single_array_and_directory_are_not_networks(tmp_path):
    array_file = tmp_path / "f.npy"
    np.save(array_file, np.zeros(3))
    with pytest.raises(FileFormatError, match="f.npy: not an assocrate network file \\(a single array"):
        load_network(array_file)
    with pytest.raises(FileFormatError, match="is a directory, not a file"):
        load_network(tmp_path)


def test_load_array_picks_the_named_array_and_names_it_in_errors(tmp_path):
    archive = tmp_path / "inputs.npz"
    np.savez(archive, u=np.arange(3.0), other=np.zeros(2))
    np.testing.assert_array_equal(load_array(archive, name="u"), np.arange(3.0))
    with pytest.raises(FileFormatError, match=r"expected an array named 'w' or a single array"):
        load_array(archive, name="w")
    broken = tmp_path / "u.npy"
    broken.write_bytes(b"not an array")
    with pytest.raises(FileFormatError, match=r"u\.npy: cannot read u"):
        load_array(broken, name="u")


def test_check_output_path(tmp_path):
    assert check_output_path("out", tmp_path / "result.nc") == tmp_path / "result.nc"
    with pytest.raises(InvalidInput, match=r"^`out` must be a file path; .* is a directory$"):
        check_output_path("out", tmp_path)
    with pytest.raises(FileNotFoundError, match="`figure` .*: the directory .*missing' does not exist"):
        check_output_path("figure", tmp_path / "missing" / "figure.png")
    assert not (tmp_path / "missing").exists()


def test_round_trip_of_a_nonsymmetric_network_and_its_dale_realization(tmp_path, nonsymmetric_network):
    """A projection-rule network with unequal activities (non-symmetric W) reloads with the same
    factors L, R and C bit for bit (the file keeps patterns and parameters; the factors are rebuilt
    by the same float operations), and its Dale realization (not saved: it is determined by the
    network, N_I and tau_I) is rebuilt identically from the loaded network."""
    from assocrate.dale import dale_realization
    from assocrate.dale.realization import realizes

    network = nonsymmetric_network
    loaded = load_network(save_network(tmp_path / "net.npz", network))
    assert loaded.rule == "projection" and not loaded.is_symmetric
    for name in ("L", "R", "C", "patterns"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(network, name))
    dale, again = dale_realization(network, n_inhibitory=2), dale_realization(loaded, n_inhibitory=2)
    assert realizes(dale, loaded) and realizes(again, network)
    assert (again.c, again.w_EI, again.min_pair) == (dale.c, dale.w_EI, dale.min_pair)
    np.testing.assert_array_equal(again.dense_blocks().EE, dale.dense_blocks().EE)

"""sweeps.capacity: the capacity experiment serially and on a cluster (the same numbers), its
CapacityCurve and per-cell Dataset, and checkpoints that resume or are refused (theory.md §7, §8)."""

from __future__ import annotations

import contextlib
import errno
import importlib
import json
import os
import socket

import numpy as np
import pytest
import xarray as xr

from assocrate import __version__
from assocrate.core.activations import RectifiedTanh, Sigmoid
from assocrate.io import FileFormatError
from assocrate.sweeps import CAPACITY_FORMAT, CapacityCurve, capacity, capacity_from_sweep, phase_diagram, save_dataset

from ..reference import REFERENCE_SIGMOID

# the module, not the function of the same name that assocrate.sweeps exports
CAPACITY_MODULE = importlib.import_module("assocrate.sweeps.capacity")
CHECKPOINT_MODULE = importlib.import_module("assocrate.sweeps.checkpoint")


def test_capacity_curve_success_then_failure():
    calls = []
    curve = capacity(
        250, [0.02, 0.3], 0.2, REFERENCE_SIGMOID, (-0.3, 0.95), trials=1, seed=0,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert isinstance(curve, CapacityCurve)
    assert calls == [(1, 2), (2, 2)]
    assert curve.n_patterns.tolist() == [5, 75]
    assert curve.success_rate[0] == 1.0 and curve.success_rate[1] < 0.5
    assert np.all(curve.success_rate <= np.minimum(curve.stable_rate, curve.retrieval_rate))
    assert np.all(curve.stable_rate <= curve.equilibrium_rate)
    assert curve.max_eigenvalue[0] < 0
    assert curve.capacity(0.9) == pytest.approx(0.02)
    json.dumps(curve.to_record())
    assert "all three" in curve.summary()


def test_the_default_scheduler_runs_in_this_process():
    assert capacity.__kwdefaults__["scheduler"] == "synchronous"


CAPACITY = dict(n_units=200, loads=[0.02, 0.1], q=0.2, activation=Sigmoid(4.8, 0.2), levels=(-0.3, 0.95), trials=2,
                seed=3, t_max=5.0)
N_CELLS = 4


class Interrupted(Exception):
    """Raised by a progress callback to simulate an interrupted sweep."""


def interrupt_after(k, calls):
    def progress(done, total):
        calls.append((done, total))
        if len(calls) == k:
            raise Interrupted
    return progress


def run(**changes) -> CapacityCurve:
    return capacity(**{**CAPACITY, "scheduler": "synchronous", **changes})


def sweep(**changes) -> xr.Dataset:
    """The per-cell Dataset of the run."""
    return run(**changes).dataset


@pytest.fixture(scope="module")
def reference_curve():
    """The small sweep, computed once without a cluster."""
    return run()


@pytest.fixture(scope="module")
def reference(reference_curve):
    return reference_curve.dataset


@pytest.fixture(scope="module")
def client():
    """One LocalCluster for the module, as capacity's "local" builds it (2 single-threaded processes)."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def finished_checkpoint(tmp_path_factory, reference):
    path = tmp_path_factory.mktemp("checkpoint") / "sweep.nc"
    xr.testing.assert_identical(sweep(checkpoint=path), reference)
    return path


def test_the_curve_is_pooled_from_its_dataset(reference_curve, reference):
    curve = reference_curve
    from_sweep = capacity_from_sweep(reference)
    assert from_sweep.to_record() == curve.to_record()
    np.testing.assert_array_equal(from_sweep.max_eigenvalue, curve.max_eigenvalue)
    np.testing.assert_array_equal(reference["success_rate"], curve.success_rate)
    np.testing.assert_array_equal(reference["max_eigenvalue"], curve.max_eigenvalue)
    assert repr(from_sweep) == repr(curve) and from_sweep.dataset is reference
    assert curve.summary() == from_sweep.summary()


def test_a_saved_dataset_gives_the_same_curve(tmp_path, reference_curve):
    path = save_dataset(tmp_path / "capacity.nc", reference_curve.dataset)
    back = capacity_from_sweep(xr.load_dataset(path))
    assert back.to_record() == reference_curve.to_record()
    np.testing.assert_array_equal(back.max_eigenvalue, reference_curve.max_eigenvalue)


def test_capacity_dataset_layout(reference):
    ds = reference
    assert dict(ds.sizes) == {"load": 2, "trial": 2}
    assert ds["n_patterns"].values.tolist() == [4, 20] and ds["load"].values.tolist() == [0.02, 0.1]
    for name in ("equilibria", "stable", "retrieved", "success", "max_eigenvalue_sum", "max_eigenvalue_count", "done"):
        assert ds[name].dims == ("load", "trial"), name
    for name in ("equilibrium_rate", "stable_rate", "retrieval_rate", "success_rate", "max_eigenvalue"):
        assert ds[name].dims == ("load",), name
    assert ds["done"].all() and ds["success"].dtype == np.int64
    assert np.all(ds["success"] <= np.minimum(ds["stable"], ds["retrieved"]))
    assert np.all(ds["stable"] <= ds["equilibria"]) and np.all(ds["equilibria"] <= ds["n_patterns"])
    np.testing.assert_array_equal(ds["success_rate"], ds["success"].sum("trial") / (2 * ds["n_patterns"]))
    attrs = ds.attrs
    assert (attrs["n"], attrs["q"], attrs["a"], attrs["b"]) == (200, 0.2, -0.3, 0.95)
    assert (attrs["trials"], attrs["seed"], attrs["seed_entropy"]) == (2, 3, "3")
    assert (attrs["cue"], attrs["t_max"], attrs["dt"], attrs["tol"]) == ("delete:0.4", 5.0, 0.01, 0.15)
    assert attrs["activation"] == "Sigmoid(rho=4.8, threshold=0.2)" and attrs["assocrate_version"] == __version__
    assert attrs["format"] == CAPACITY_FORMAT


def test_seed_none_is_recorded_and_reproducible():
    ds = sweep(loads=[0.02], trials=1, seed=None)
    assert ds.attrs["seed"] == -1 and capacity_from_sweep(ds).seed is None
    again = sweep(loads=[0.02], trials=1, seed=int(ds.attrs["seed_entropy"]))
    for name in ("equilibria", "retrieved", "max_eigenvalue_sum"):
        np.testing.assert_array_equal(again[name], ds[name])


@contextlib.contextmanager
def _port_held(port: int):
    """Hold `port` busy (as another program would); if something already holds it, so much the better."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        try:
            holder.bind(("", port))
            holder.listen()
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
        yield


@pytest.mark.slow
def test_local_cluster_gives_the_same_curve(reference_curve):
    """"local" starts its own LocalCluster; cells finish in any order, numbers are identical.

    Dask's default dashboard port 8787 is held busy meanwhile: the cluster must not need it (with
    ``dashboard_address=None`` it still bound 8787, and the "port in use" warning failed the run).
    """
    with _port_held(8787):
        curve = run(scheduler="local")
    xr.testing.assert_identical(curve.dataset, reference_curve.dataset)
    assert curve.to_record() == reference_curve.to_record()
    np.testing.assert_array_equal(curve.max_eigenvalue, reference_curve.max_eigenvalue)


@pytest.mark.slow
def test_local_workers_keep_glibcs_dynamic_mmap_threshold(monkeypatch):
    """The "local" cluster's workers do not get distributed's MALLOC_TRIM_THRESHOLD_ (it fixes glibc's
    mmap threshold at 128 kB: every larger array is mmapped and faulted in afresh, 36 % slower cells),
    but keep its single-threaded BLAS; a value the user exports still reaches them."""
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    with _port_held(8787), CAPACITY_MODULE.sweep_client("local", 2) as client:
        seen = client.run(lambda: (os.environ.get("MALLOC_TRIM_THRESHOLD_"), os.environ.get("OPENBLAS_NUM_THREADS")))
    assert len(seen) == 2 and set(seen.values()) == {(None, "1")}
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "131072")
    with _port_held(8787), CAPACITY_MODULE.sweep_client("local", 1) as client:
        seen = client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
    assert list(seen.values()) == ["131072"]


@pytest.mark.slow
def test_client_and_address_give_the_same_dataset(client, reference):
    xr.testing.assert_identical(sweep(scheduler=client), reference)
    xr.testing.assert_identical(sweep(scheduler=client.scheduler.address), reference)


def test_interrupted_sweep_keeps_finished_cells_and_resumes(tmp_path, monkeypatch, reference):
    path = tmp_path / "sweep.nc"
    calls = []
    with pytest.raises(Interrupted):
        sweep(checkpoint=path, progress=interrupt_after(2, calls))
    assert calls == [(1, N_CELLS), (2, N_CELLS)]
    assert sorted(os.listdir(tmp_path)) == ["sweep.nc"]  # no temporary file left behind
    partial = xr.load_dataset(path)
    assert int(partial["done"].sum()) == 2
    done = partial["done"].values
    for name in ("equilibria", "stable", "retrieved", "success", "max_eigenvalue_sum"):
        np.testing.assert_array_equal(partial[name].values[done], reference[name].values[done])
    assert np.all(partial["success"].values[~done] == -1)
    with pytest.raises(ValueError, match="unfinished sweep: 2 of 4 cells"):
        capacity_from_sweep(partial)

    computed = []
    original = CAPACITY_MODULE.capacity_cell
    monkeypatch.setattr(CAPACITY_MODULE, "capacity_cell", lambda *args: computed.append(args[1]) or original(*args))
    progress = []
    resumed = sweep(checkpoint=path, progress=lambda done, total: progress.append(done))
    assert len(computed) == 2 and progress == [3, 4]  # only the two missing cells are computed
    xr.testing.assert_identical(resumed, reference)
    xr.testing.assert_identical(xr.load_dataset(path), reference)  # the finished checkpoint is the result
    computed.clear()
    xr.testing.assert_identical(sweep(checkpoint=path), reference)
    assert computed == []


@pytest.mark.slow
def test_interrupted_cluster_sweep_resumes_on_the_cluster(tmp_path, client, reference):
    path = tmp_path / "sweep.nc"
    with pytest.raises(Interrupted):
        sweep(scheduler=client, checkpoint=path, progress=interrupt_after(1, []))
    assert int(xr.load_dataset(path)["done"].sum()) == 1
    calls = []
    resumed = sweep(scheduler=client, checkpoint=path, progress=lambda done, total: calls.append(done))
    assert sorted(calls) == [2, 3, 4]  # three cells computed, one loaded
    xr.testing.assert_identical(resumed, reference)


@pytest.mark.slow
def test_a_failing_cell_raises_its_error_through_the_cluster(tmp_path, client):
    path = tmp_path / "tiny.nc"
    with pytest.raises(ValueError, match="`n` \\* `q` is too small"):
        capacity(3, [1.0, 2.0], 0.01, Sigmoid(4.8, 0.2), (-0.3, 0.95), 1, 0, scheduler=client, checkpoint=path)
    assert int(xr.load_dataset(path)["done"].sum()) == 0
    assert client.submit(sum, [1, 2]).result() == 3  # the client is still usable


@pytest.mark.parametrize(
    "changes, name",
    [
        ({"n_units": 201}, "`n_units`"),
        ({"loads": [0.02, 0.11]}, "`loads`"),
        ({"q": 0.25}, "`q`"),
        ({"activation": Sigmoid(4.8, 0.25)}, "`activation`"),
        ({"activation": RectifiedTanh(4.8, 0.2)}, "`activation`"),
        ({"levels": (-0.3, 0.9)}, "`levels`"),
        ({"trials": 3}, "`trials`"),
        ({"seed": 4}, "`seed`"),
        ({"cue": "flip:0.1"}, "`cue`"),
        ({"t_max": 6.0}, "`t_max`"),
        ({"dt": 0.02}, "`dt`"),
        ({"tol": 0.1}, "`tol`"),
    ],
)
def test_checkpoint_from_other_arguments_is_refused(finished_checkpoint, changes, name):
    before = finished_checkpoint.read_bytes()
    with pytest.raises(ValueError, match=f"{name} is .* there and .* now") as error:
        sweep(checkpoint=finished_checkpoint, **changes)
    assert str(finished_checkpoint) in str(error.value)
    assert finished_checkpoint.read_bytes() == before


def test_checkpoint_from_another_version_is_refused(finished_checkpoint, monkeypatch):
    monkeypatch.setattr(CHECKPOINT_MODULE, "__version__", "99.0")
    with pytest.raises(ValueError, match="`assocrate_version` is '0.1.0' there and '99.0' now"):
        sweep(checkpoint=finished_checkpoint)


def test_same_cue_spelled_differently_resumes(finished_checkpoint, monkeypatch):
    monkeypatch.setattr(CAPACITY_MODULE, "capacity_cell", None)  # nothing may be computed
    resumed = sweep(checkpoint=finished_checkpoint, cue="delete:0.40")
    assert int(resumed["done"].sum()) == N_CELLS


def damage(path, finished_checkpoint, how):
    data = finished_checkpoint.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "garbage":
        path.write_bytes(b"CDF\x01" + bytes(range(256)) * 8)
    elif how == "foreign netCDF":
        save_dataset(path, phase_diagram(rho=[1.0], threshold=[0.2]))
    else:
        ds = xr.load_dataset(finished_checkpoint)
        if how == "missing variable":
            ds = ds.drop_vars("done")
        elif how == "impossible counts":
            ds["success"][0, 0] = 99
        else:
            ds.attrs["format_version"] = 7
        save_dataset(path, ds)


@pytest.mark.parametrize(
    "how, message",
    [
        ("truncated", "not a readable capacity-sweep checkpoint"),
        ("empty", "not a readable capacity-sweep checkpoint"),
        ("garbage", "not a readable capacity-sweep checkpoint"),
        ("foreign netCDF", "not a capacity-sweep checkpoint \\(format attribute None"),
        ("missing variable", "variable 'done' is missing"),
        ("impossible counts", "impossible counts"),
        ("newer format", "format version 7 is not supported"),
    ],
)
def test_damaged_checkpoint_is_refused_and_kept(tmp_path, finished_checkpoint, monkeypatch, how, message):
    path = tmp_path / "sweep.nc"
    damage(path, finished_checkpoint, how)
    before = path.read_bytes()
    monkeypatch.setattr(CAPACITY_MODULE, "capacity_cell", None)  # nothing may be computed
    with pytest.raises(FileFormatError, match=message) as error:
        sweep(checkpoint=path)
    assert str(error.value).startswith(f"{path}: ")
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "changes, error, message",
    [
        ({"scheduler": "locl"}, ValueError, "`scheduler` must be one of \\['local', 'synchronous'\\], a scheduler"),
        ({"scheduler": "tcp//host"}, ValueError, "`scheduler` must be one of"),
        ({"scheduler": 2}, ValueError, "`scheduler` must be one of"),
        ({"checkpoint": 3}, TypeError, "`checkpoint` must be a path or None"),
        ({"checkpoint": "missing/sweep.nc"}, FileNotFoundError, "does not exist"),
        ({"checkpoint": "."}, ValueError, "is a directory"),
        ({"checkpoint": "sweep.nc", "seed": None}, ValueError, "`seed` must be an integer when `checkpoint`"),
        ({"seed": -1}, ValueError, "`seed` must be >= 0"),
        ({"loads": [0.0]}, ValueError, "`loads` must be"),
        ({"cue": "erase:1"}, ValueError, "`cue` must be"),
        ({"dt": 6.0}, ValueError, "`dt` must be <= `t_max`"),
        ({"activation": "sigmoid"}, TypeError, "`activation` must be an Activation"),
    ],
)
def test_capacity_rejects_bad_arguments(tmp_path, monkeypatch, changes, error, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(error, match=message):
        sweep(**changes)
    assert os.listdir(tmp_path) == []


def test_capacity_from_sweep_rejects_other_datasets(reference):
    with pytest.raises(ValueError, match="`dataset` must be a capacity-sweep Dataset"):
        capacity_from_sweep(phase_diagram(rho=[1.0], threshold=[0.2]))
    with pytest.raises(ValueError, match="lacks the capacity-sweep attribute or coordinate 'cue'"):
        capacity_from_sweep(reference.drop_attrs().assign_attrs({k: v for k, v in reference.attrs.items()
                                                                 if k != "cue"}))


"""The capacity experiment: one function, serial or on dask.distributed, with checkpoints (theory.md §7, §8)."""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .._progress import as_progress
from ..core.activations import Activation
from ..errors import InvalidInput, InvalidType
from ..io import check_output_path
from ..retrieval import DEFAULT_TOL
from ..retrieval.capacity import (
    CapacityCell,
    CapacityCurve,
    CapacitySetup,
    capacity_cell,
    capacity_result,
    capacity_setup,
)
from .checkpoint import capacity_attrs, capacity_dataset, save_checkpoint, start_table

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["SCHEDULERS", "capacity", "check_scheduler", "checkpoint_lock", "sweep_client"]

#: Values of ``scheduler`` in :func:`capacity` besides a scheduler address or a Client.
SCHEDULERS = ("local", "synchronous")

# A scheduler address: PROTOCOL://anything, or HOST:PORT.
_ADDRESS = re.compile(r"^(?:[a-z][a-z0-9+.-]*://\S+|[\w.\-]+:\d+|\[[0-9a-fA-F:]+\]:\d+)$")


def check_scheduler(scheduler: object) -> object:
    """`scheduler` if it is "local", "synchronous", a scheduler address or a distributed.Client; else ValueError."""
    if isinstance(scheduler, str):
        if scheduler in SCHEDULERS or _ADDRESS.match(scheduler):
            return scheduler
    else:
        from distributed import Client

        if isinstance(scheduler, Client):
            return scheduler
    raise InvalidInput(
        f"`scheduler` must be one of {list(SCHEDULERS)}, a scheduler address such as 'tcp://10.0.0.5:8786', "
        f"or a distributed.Client; got {scheduler!r}"
    )


def _check_checkpoint(checkpoint: object) -> Path | None:
    if checkpoint is None:
        return None
    if not isinstance(checkpoint, (str, os.PathLike)):
        raise InvalidType(f"`checkpoint` must be a path or None; got {checkpoint!r} of type {type(checkpoint).__name__}")
    return check_output_path("checkpoint", checkpoint)


@contextlib.contextmanager
def checkpoint_lock(path: Path | None) -> Iterator[Path | None]:
    """Hold an advisory lock (``fcntl.flock``) on the sidecar ``PATH.lock`` while a sweep uses the checkpoint `path`.

    A second sweep on the same checkpoint is refused (:class:`InvalidInput`) instead of overwriting
    the first one's progress. The lock is released when the process ends, however it ends, so a
    killed run never leaves the checkpoint locked; the lock file is removed on a normal exit.
    """
    if path is None:
        yield None
        return
    import fcntl

    lock_path = path.with_name(path.name + ".lock")
    while True:
        handle = open(lock_path, "a+")  # noqa: SIM115 - held for the whole sweep
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise InvalidInput(
                f"`checkpoint` {str(path)!r} is in use by another running sweep (it holds {str(lock_path)!r}); "
                "wait for it to finish or give another checkpoint file"
            ) from None
        try:  # the file we locked may have been removed by the sweep that held it: lock the current one
            if os.stat(lock_path).st_ino == os.fstat(handle.fileno()).st_ino:
                break
        except FileNotFoundError:
            pass
        handle.close()
    try:
        yield lock_path
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock_path)
        handle.close()


@contextlib.contextmanager
def sweep_client(scheduler: object, n_tasks: int) -> Iterator:
    """A dask.distributed Client for `scheduler` (not "synchronous"); closes what it started.

    ``"local"`` starts a LocalCluster of ``min(cores, n_tasks)`` single-threaded worker processes
    (what :func:`capacity` runs its cells on); an address connects to a running scheduler; a
    Client is used as it is.
    """
    import dask
    from distributed import Client, LocalCluster

    if not isinstance(scheduler, str):  # the caller's Client: used, not closed
        yield scheduler
    elif scheduler == "local":
        from dask.system import CPU_COUNT  # the cores this process may use (affinity, cgroup quota)

        # one single-threaded worker process per core: a cell holds the GIL most of the time, so
        # threads would not overlap (measurements in the Notes of capacity)
        workers = max(1, min(CPU_COUNT, n_tasks))
        # distributed's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in its workers; setting it fixes glibc's
        # mmap threshold at 128 kB, so every array above that is a fresh mmap whose pages are faulted in
        # and zeroed: a capacity cell at N = 2000, P = 180 took 17.8 s (3.6 s system) with it, 13.1 s
        # (0.7 s) without. A value the user exports still reaches the workers.
        with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}), \
                LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
                Client(cluster) as client:
            yield client
    else:
        with Client(scheduler) as client:
            yield client


def _run_cells(
    setup: CapacitySetup,
    seeds: list[np.random.SeedSequence],
    pending: list[tuple[int, int]],
    scheduler: object,
    finished: Callable[[tuple[int, int], CapacityCell], None],
) -> None:
    """Compute the `pending` (load, trial) cells on `scheduler`; call `finished` as each completes."""

    def arguments(index: tuple[int, int]) -> tuple:
        i, trial = index
        return setup, int(setup.n_patterns[i]), seeds[i * setup.trials + trial]

    if scheduler == "synchronous" or (scheduler == "local" and len(pending) == 1):  # nothing to overlap
        for index in pending:
            finished(index, capacity_cell(*arguments(index)))
        return
    from distributed import as_completed

    # largest P first (dask starts tasks in submission order): the longest cells do not come last
    order = sorted(pending, key=lambda index: -setup.n_patterns[index[0]])
    with sweep_client(scheduler, len(pending)) as client:
        token = uuid.uuid4().hex[:12]
        futures = {
            client.submit(capacity_cell, *arguments(index), key=f"capacity-cell-{token}-{index[0]}-{index[1]}",
                          pure=False): index
            for index in order
        }
        try:
            for future in as_completed(futures):
                finished(futures[future], future.result())
        finally:
            client.cancel(list(futures))  # on error or interruption: leave nothing running


def capacity(
    n_units: int,
    loads: Sequence[float],
    q: float,
    activation: Activation,
    levels: tuple[float, float],
    trials: int,
    seed: int | None = None,
    *,
    cue: str = "delete:0.4",
    t_max: float = 10.0,
    dt: float = 0.01,
    tol: float = DEFAULT_TOL,
    scheduler: str | Client = "synchronous",
    checkpoint: str | os.PathLike | None = None,
    progress: Callable[[int, int], None] | bool | None = None,
) -> CapacityCurve:
    """Success rate against the load P/N for random patterns, serially or on dask.distributed.

    For every load and trial (a cell): draw i.i.d. Bernoulli(q) patterns, design with the nominal q
    and r = q, refine every memory to a true equilibrium, test its local stability through the
    reduced eigenproblem, and cue it once (:func:`~assocrate.retrieval.capacity.capacity_cell`). The
    cells are independent: they run one by one in this process or as tasks on dask.distributed
    (theory.md §8). Cell (load i, trial t) is seeded by child ``i * trials + t`` of
    ``numpy.random.SeedSequence(seed).spawn``, so the numbers are the same whatever the scheduler,
    the number of workers or the order in which cells finish.

    Parameters
    ----------
    n_units : int
        Number of units N.
    loads : sequence of float
        Loads P/N > 0; ``P = max(1, round(load * n_units))``.
    q : float
        Activity.
    activation : Activation
    levels : (float, float)
        ``(a, b)``.
    trials : int
        Pattern sets per load.
    seed : int or None
        Seeds every pattern set, cue and run. With `checkpoint` it must be an integer (a resumed
        sweep must draw the same pattern sets).
    cue : str, default "delete:0.4"
        Cue spec (see :func:`~assocrate.retrieval.parse_cue`).
    t_max, dt, tol :
        As in :func:`~assocrate.retrieval.retrieve`.
    scheduler : {"synchronous", "local"}, address or distributed.Client, default "synchronous"
        ``"synchronous"``: no cluster, the cells run one by one in this process (small sweeps,
        tests, debugging, scripts without a ``__main__`` guard). ``"local"``: start a
        ``LocalCluster`` owned by this call (one single-threaded worker process per core, at most
        one per cell) and close it at the end; startup costs seconds, and a single pending cell
        runs in this process. An address such as ``"tcp://10.0.0.5:8786"``: connect to a running
        scheduler (its workers must import the same assocrate; start them with ``--nthreads 1``
        for bit-identical numbers, see Notes). A ``distributed.Client``: use it and leave it open.
    checkpoint : path, optional
        A netCDF file holding the sweep so far. It is rewritten atomically (through
        :func:`~assocrate.sweeps.save_dataset`) before the first cell and after every finished
        cell, so an interrupted sweep leaves a valid file with every cell finished so far. If it
        exists, its finished cells are loaded, not recomputed; it must come from a sweep with the
        same arguments (else ``ValueError`` naming the argument). The completed file holds the
        returned curve's ``dataset``.
    progress : callable or bool, optional
        Called as ``progress(done, total)`` after every cell computed by this call; `done` counts
        the cells loaded from `checkpoint` too. ``True``: a rich progress bar on stderr (only on a terminal).

    Returns
    -------
    CapacityCurve
        Per load: the fractions of memories that are equilibria, stable, retrieved, and all three,
        and the mean largest eigenvalue. Its ``dataset`` is the per-cell xarray Dataset: dims
        ``load`` (coordinates ``load`` = P/N, ``n_patterns``, ``requested_load``) and ``trial``; per
        cell ``equilibria``, ``stable``, ``retrieved``, ``success`` (counts of the cell's P
        memories), ``max_eigenvalue_sum`` and ``max_eigenvalue_count`` (to pool the mean largest
        eigenvalue exactly) and ``done``; per load ``equilibrium_rate``, ``stable_rate``,
        ``retrieval_rate``, ``success_rate`` and ``max_eigenvalue`` (pooled over trials).
        Attributes record every argument (``seed`` is -1 for None; ``seed_entropy`` reproduces
        it), the format and the assocrate version. :func:`~assocrate.sweeps.capacity_from_sweep`
        turns such a Dataset, read back from a file, into the curve again.

    Raises
    ------
    ValueError
        Invalid arguments, naming them; a checkpoint from a sweep with other arguments.
    FileFormatError
        A checkpoint file that is not a readable capacity-sweep Dataset (corrupt, truncated, foreign).
    FileNotFoundError
        The checkpoint's directory does not exist.

    See Also
    --------
    capacity_from_sweep : the CapacityCurve of a saved capacity-sweep Dataset.

    Notes
    -----
    Per-cell variables, not per-load ones only: the cells are what is computed, checkpointed and
    resumed, and trial-to-trial spread is visible; the per-load rates are derived from them by
    :func:`~assocrate.retrieval.capacity.capacity_rates`, whichever way the cells ran.

    One checkpoint file, rewritten whole after every cell, not a directory of per-cell files: it
    is an ordinary Dataset (partial sweeps can be opened and plotted; ``done`` marks the cells),
    it carries the arguments it must be resumed with, and an atomic rename keeps it valid at
    every instant. Rewriting costs about 20 ms (a few kB, fsync included) against 0.1-8 s per cell
    at N = 500-1000.

    Processes, not threads, for ``"local"`` (``benchmarks/bench_capacity_sweep.py``, 2 cores shared
    with other jobs, load average about 2): a cell is thousands of small numpy calls that hold the
    GIL, so worker threads do not overlap -- the demo's sweep (N = 500, 7 cells) took 4.7 s serially,
    5.3 s on threads, 7.1 s on two processes; with 4 trials (28 cells) 22.1 s serially, 23.6 s on
    threads, 15.5 s on processes. A 12-cell sweep at N = 800, alternated (load 1.2 -> 1.3): two
    worker processes 5.2-6.2 s, one 8.4-10.3 s (1.60x at the min, 1.62x at the median; the sweep
    alone once the workers are up 1.69x, 1.81x), in-process 6.7-7.1 s. Threads also share one BLAS
    thread pool, whose size cells change concurrently, and the last bits of ``max_eigenvalue_sum``
    were seen to differ between
    runs; a worker process runs one cell at a time with single-threaded BLAS (distributed's
    nanny sets ``OPENBLAS_NUM_THREADS=1``), so its numbers are bit-identical to the serial ones.
    A LocalCluster costs 2-7 s to start (each worker imports assocrate); a sweep of one trial per
    load is bounded by its largest cell (about half its work), so such quick looks are faster with
    ``"synchronous"``. The worker processes import the script that started them: in a script,
    call ``capacity`` with a cluster under ``if __name__ == "__main__":``.

    Examples
    --------
    >>> import assocrate as aa
    >>> curve = aa.capacity(300, [0.01, 0.02], 0.2, aa.Sigmoid(4.8, 0.2), (-0.3, 0.95), trials=2, seed=0)
    >>> curve.success_rate.tolist(), curve.capacity(0.9)
    ([1.0, 1.0], 0.02)
    >>> dict(curve.dataset.sizes), curve.dataset["success"].values.tolist()
    ({'load': 2, 'trial': 2}, [[3, 3], [6, 6]])
    """
    setup = capacity_setup(n_units, loads, q, activation, levels, trials, seed, cue=cue, t_max=t_max, dt=dt, tol=tol)
    scheduler = check_scheduler(scheduler)
    progress = as_progress(progress, "capacity cells")
    path = _check_checkpoint(checkpoint)
    if path is not None and seed is None:
        raise InvalidInput("`seed` must be an integer when `checkpoint` is given (a resumed sweep must draw the same "
                           "pattern sets); got None")
    with checkpoint_lock(path):
        return _sweep(setup, seed, scheduler, path, progress)


def _sweep(
    setup: CapacitySetup, seed: int | None, scheduler: object, path: Path | None,
    progress: Callable[[int, int], None] | None,
) -> CapacityCurve:
    """The body of :func:`capacity` once its arguments are checked (and its checkpoint locked)."""
    entropy = np.random.SeedSequence(seed).entropy
    attrs = capacity_attrs(setup, seed, entropy)
    table = start_table(path, setup, attrs)
    total = table.done.size

    def finished(index: tuple[int, int], cell: CapacityCell) -> None:
        table.record(index, cell)
        save_checkpoint(path, setup, attrs, table)
        if progress is not None:
            progress(int(table.done.sum()), total)

    pending = [(int(i), int(t)) for i, t in zip(*np.nonzero(~table.done), strict=True)]
    if pending:
        _run_cells(setup, setup.seeds(entropy), pending, scheduler, finished)
    dataset = capacity_dataset(setup, attrs, table)
    return capacity_result(setup, seed, table.counts, table.eigenvalue_sum, table.eigenvalue_count, dataset)

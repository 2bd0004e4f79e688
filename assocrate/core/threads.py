"""The BLAS-thread policy of the package: one BLAS thread unless a product is large enough to gain.

Every dense-linear-algebra call of assocrate is one of two kinds, and the policy is decided by its
shape alone (``benchmarks/bench_threads.py`` measures each one with one BLAS thread and with all,
alternated):

- a decomposition or solve of a small dense matrix, ``(P+1) x (P+1)`` (reduced spectra, Newton's
  Woodbury system) or k x k up to k = 1024 (the certificates' float steps): **one** thread. LAPACK on such matrices is bound by
  latency and synchronisation, not flops: a 201 x 201 ``eigh`` took 3.7 ms on one thread and
  28-80 ms on two (min-median, load 11 on 2 cores), an 801 x 801 one 0.37 s against 1.9 s;
- a product ``(n x k) @ (k x b)`` (the low-rank mat-vecs ``U^T X`` and ``U Z``, the Gram matrices
  ``U^T D U``): one thread below ``2^31`` flops (``2 n k b``), the library's default above. On 2
  shared cores (load 9-12) a second thread lost at the median for every product measured, up to
  a 2e9-flop Gram matrix (0.32 s on one thread, 3.4 s on two): OpenBLAS threads spin while they
  wait for a core. Its best single call was faster for some skinny products (1.6-1.8x), never
  reliably. Above ``2^31`` flops, where the work dwarfs the synchronisation, the library's
  default is kept; that crossover was not measured on a quiet machine.

The package's own parallelism does not come from BLAS: Euler–Maruyama spreads row blocks over the
cores (:mod:`assocrate.dynamics.threads`) and capacity sweeps spread cells over dask workers.

The limit is set through :mod:`threadpoolctl` on a controller built once (about 10 us;
``threadpoolctl.threadpool_limits`` re-scans the loaded libraries, about 1-10 ms per call), by the
outermost ``with`` of a thread only: blocks nested in it (a Gram matrix and two eigensolvers inside
one spectrum, the steps of a Newton run) cost about 1 us, and the outermost one restores the limits
it found. The limit is process-wide: BLAS calls made concurrently from other threads see it too.
OpenBLAS (0.3.30 here) ignores a change of its thread count made from another thread once the main
thread has made one, so code that runs BLAS in worker threads (a threaded scheduler) sets the
limit in the main thread around them.
"""

from __future__ import annotations

import contextlib
import threading

__all__ = [
    "DECOMPOSITION_MAX_SINGLE",
    "THREAD_MIN_FLOPS",
    "blas_threads_for",
    "decomposition_threads",
    "product_flops",
    "single_threaded_blas",
]

#: Products with fewer flops than this run on one BLAS thread.
THREAD_MIN_FLOPS = 1 << 31
#: Decompositions and solves of n x n matrices up to this n run on one BLAS thread (measured to 801).
DECOMPOSITION_MAX_SINGLE = 1024

_lock = threading.Lock()
_blas = None  # the BLAS libraries' controller, built on first use (after numpy and scipy have loaded)
_open = threading.local()  # per thread: single-threaded blocks open (depth) and the outermost one's limiter


def _blas_controller():
    global _blas
    with _lock:
        if _blas is None:
            import numpy  # noqa: F401  (load the BLAS libraries the controller must see)
            import scipy.linalg  # noqa: F401
            from threadpoolctl import ThreadpoolController

            _blas = ThreadpoolController().select(user_api="blas")
    return _blas


def single_threaded_blas() -> contextlib.AbstractContextManager:
    """One BLAS thread, process-wide, for the duration of the ``with`` block.

    For every decomposition or solve of a (P+1) x (P+1) matrix, and for Euler–Maruyama, whose
    kernel threads by row blocks itself. Blocks nest: only a thread's outermost one sets the limit
    (about 10 us) and restores, when it ends, the limits it found.

    Examples
    --------
    >>> import numpy as np
    >>> with single_threaded_blas():
    ...     w = np.linalg.eigvalsh(np.eye(3))
    """
    return _ONE_THREAD


class _OneThread(contextlib.AbstractContextManager):
    """The ``with`` block of :func:`single_threaded_blas` (one shared instance), re-entrant per thread."""

    def __enter__(self) -> None:
        if getattr(_open, "depth", 0) == 0:
            _open.limiter = _blas_controller().limit(limits=1)
            _open.depth = 0
        _open.depth += 1

    def __exit__(self, *exc_info: object) -> None:
        _open.depth -= 1
        if _open.depth == 0:
            _open.limiter.restore_original_limits()
            del _open.limiter


_ONE_THREAD = _OneThread()


def product_flops(n_rows: int, n_inner: int = 1, n_columns: int = 1) -> int:
    """Flops ``2 n k b`` of a product ``(n x k) @ (k x b)``.

    Examples
    --------
    >>> product_flops(1000, 21, 32)
    1344000
    """
    return 2 * int(n_rows) * int(n_inner) * int(n_columns)


def decomposition_threads(n: int) -> contextlib.AbstractContextManager:
    """BLAS threads for a decomposition or solve of an n x n matrix: one up to n = 1024, the default beyond.

    The reduced (P+1) x (P+1) problems call :func:`single_threaded_blas` directly; this is for the
    k x k matrices of the certificates (k row types, up to N).

    Examples
    --------
    >>> with decomposition_threads(201):  # one BLAS thread inside
    ...     pass
    """
    if n <= DECOMPOSITION_MAX_SINGLE:
        return single_threaded_blas()
    return contextlib.nullcontext()


def blas_threads_for(n_rows: int, n_inner: int = 1, n_columns: int = 1) -> contextlib.AbstractContextManager:
    """BLAS threads for products of shape ``(n_rows x n_inner) @ (n_inner x n_columns)``.

    One thread below `THREAD_MIN_FLOPS` (``2^31``) flops, the library's default otherwise.

    Parameters
    ----------
    n_rows, n_inner, n_columns : int
        The shape of the largest product made inside the block (e.g. ``N, P+1, P+1`` for the Gram
        matrix of a Newton step, ``N, P+1, B`` for a batched mat-vec).

    Examples
    --------
    >>> with blas_threads_for(1000, 21, 32):  # 1.3e6 flops: one BLAS thread inside
    ...     pass
    """
    if product_flops(n_rows, n_inner, n_columns) < THREAD_MIN_FLOPS:
        return single_threaded_blas()
    return contextlib.nullcontext()

"""
A capacity sweep on a dask LocalCluster
=======================================

The same capacity measurement as the previous example, with its cells spread over a dask
``LocalCluster`` of 2 worker processes (theory.md §8). The numbers do not depend on the
scheduler: every (load, pattern set) cell gets its own child seed from
``numpy.random.SeedSequence.spawn``, so the in-process run gives the same curve.

The ``if __name__ == "__main__":`` guard is required: dask's worker processes import the script
that started them, and without it each worker would start a cluster of its own ("Nanny failed to
start"). Sphinx-gallery runs this file as ``__main__``, so the guard does not stop it here.

Run: ``python examples/plot_6_capacity_cluster.py``
"""

import time

import assocrate as aa
from assocrate import plots

LOADS = [0.04, 0.08, 0.12]
ARGS = (200, LOADS, 0.2, aa.Sigmoid(rho=4.8, threshold=0.2), (-0.3, 0.95))

if __name__ == "__main__":
    from distributed import Client, LocalCluster

    # A small cluster: 2 single-threaded workers, no dashboard port to collide with.
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster, Client(cluster) as client:
        start = time.perf_counter()
        curve = aa.capacity(*ARGS, trials=2, seed=0, scheduler=client)
        print(f"{len(LOADS) * 2} cells on {len(client.scheduler_info()['workers'])} workers "
              f"in {time.perf_counter() - start:.1f} s")
    print(curve)

    # %%
    # The same cells in-process give the same numbers.
    serial = aa.capacity(*ARGS, trials=2, seed=0)
    print("same as in-process:", (serial.dataset["success"] == curve.dataset["success"]).all().item())
    cluster_figure = plots.capacity_plot(curve, title="capacity, N = 200, 2 pattern sets per load (LocalCluster)")

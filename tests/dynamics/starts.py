"""Starting states shared by the dynamics tests."""

from __future__ import annotations

import numpy as np

from assocrate.core.design import MemoryNetwork


def cue_starts(network: MemoryNetwork, n: int, seed: int = 0) -> np.ndarray:
    """Rates between the memories and the quiescent state: 60 % of each memory plus a little noise."""
    rng = np.random.default_rng(seed)
    return np.clip(0.6 * network.memory_rates()[:, :n] + 0.05 * rng.random((network.n_units, n)), 0, 1)

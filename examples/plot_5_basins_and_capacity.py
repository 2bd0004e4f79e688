"""
Basins of attraction and capacity
=================================

How much corruption a cue survives (basin profile, with a Wilson confidence band per level), and
how many random patterns a network of 300 units holds (capacity curve, several pattern sets per
load). theory.md §7 and §8.

Run: ``python examples/plot_5_basins_and_capacity.py``
"""

import warnings

import numpy as np

import assocrate as aa
from assocrate import plots

phi = aa.Sigmoid(rho=4.8, threshold=0.2)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # random patterns: approximate equilibria, on purpose
    net = aa.design(aa.random_patterns(1000, 14, 0.2, seed=0), phi, -0.3, 0.95, q=0.2, r=0.2)

# %%
# Basin profile: every memory cued 2 times at each of 7 levels (28 cues per level), for deleted
# active units and for flipped units. The final classes are stacked beneath the retrieval
# probability.
profiles = {
    "deleted active units": aa.basin_profile(net, None, np.linspace(0.0, 0.9, 7), 2, seed=4),
    "flipped units": aa.basin_profile(net, None, np.linspace(0.0, 0.45, 7), 2, seed=5, kind="flip"),
}
for name, profile in profiles.items():
    print(f"{name}: P(retrieve) >= 0.5 up to {profile.edge(0.5):.2f}")
basins = plots.basin_profile_plot(profiles)

# %%
# Capacity: a memory works if Newton's method finds an equilibrium near it, that equilibrium is
# stable, and a cue keeping 60 % of its active units retrieves it. Three pattern sets per load
# (``trials=3``), in-process.
curve = aa.capacity(300, [0.03, 0.07, 0.11, 0.15], 0.2, phi, (-0.3, 0.95), trials=3, seed=6)
print(curve)
capacity_figure = plots.capacity_plot(curve)

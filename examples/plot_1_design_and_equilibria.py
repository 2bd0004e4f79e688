"""
Design and equilibria
=====================

Store the equal-overlap set (exact equilibria) and 14 random patterns (approximate equilibria,
located by Newton's method through the low-rank structure), for both signs of γ, and draw the
patterns, the weights and the spectrum of W (theory.md §3).

Run: ``python examples/plot_1_design_and_equilibria.py``
"""

import warnings

import assocrate as aa
from assocrate import plots

ACTIVATION = aa.Sigmoid(rho=4.8, threshold=0.2)


def describe(title: str, network: aa.MemoryNetwork) -> None:
    print(f"\n== {title}")
    print(network)  # a result prints as its summary()
    residuals = aa.equilibrium_residual(network)
    print(f"design residual max|W x̄ - h̄|: {residuals.max():.3g}")
    refined = [aa.refine_equilibrium(network, network.memory_rates()[:, mu]) for mu in range(network.n_patterns)]
    print(f"Newton refinement: {sum(r.success for r in refined)}/{len(refined)} memories have a nearby equilibrium")
    for state in aa.uniform_states(network):
        print(f"uniform state {state.kind:>12}: s={state.rate:.4f}, {'stable' if state.stable else 'unstable'}")


# %%
# The equal-overlap set: every pattern has qN active units and every pair shares q²N of them, so
# the design rule makes each rescaled memory an exact equilibrium (residual ~1e-15). With
# a = -0.3 the balance term γ is negative (global inhibition) and the only uniform state is the
# stable quiescent one; with a = 0.1, γ > 0 and a stable all-on state appears.
exact = aa.equal_overlap_patterns(1000, 0.2)
negative = aa.design(exact, ACTIVATION, a=-0.3, b=0.95)
describe("equal-overlap patterns, gamma < 0", negative)
describe("equal-overlap patterns, gamma > 0", aa.design(exact, ACTIVATION, a=0.1, b=0.95))

# %%
# The spectrum of W is α (×P), γ (×1) and 0 for the rest, computed from a (P+1)×(P+1) problem:
print(negative.eigenvalues_of_weights().grouped())

# %%
# Random patterns satisfy the equal-overlap conditions only on average: the memories are
# approximate equilibria and Newton's method finds the true one nearby.
patterns = aa.random_patterns(1000, 14, 0.2, seed=0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # random patterns: approximate equilibria, on purpose
    random_net = aa.design(patterns, ACTIVATION, a=-0.3, b=0.95)
describe("random patterns, gamma < 0", random_net)

# %%
# Patterns, weights (400 of the 1000 units, sorted by row type) and the nonzero spectrum of W.
weights_exact = plots.patterns_and_weights(negative)
weights_random = plots.patterns_and_weights(random_net)

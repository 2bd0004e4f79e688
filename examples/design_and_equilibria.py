"""Design the reference networks and inspect their equilibria.

Run: ``python examples/design_and_equilibria.py``

Stores the equal-overlap set (exact equilibria) and 14 random patterns (approximate equilibria,
located by Newton's method through the low-rank structure), for both signs of gamma.
"""

from __future__ import annotations

import warnings

import assocrate as ac

ACTIVATION = ac.Sigmoid(rho=4.8, threshold=0.2)


def describe(title: str, network: ac.MemoryNetwork) -> None:
    print(f"\n== {title}")
    print(network.summary())
    residuals = ac.equilibrium_residual(network)
    print(f"design residual max|W x̄ - h̄|: {residuals.max():.3g}")
    refined = [ac.refine_equilibrium(network, network.memory_rates()[:, mu]) for mu in range(network.n_patterns)]
    converged = sum(result.success for result in refined)
    print(f"Newton refinement: {converged}/{len(refined)} memories have a nearby equilibrium")
    for state in ac.uniform_states(network):
        print(f"uniform state {state.kind:>12}: s={state.rate:.4f}, {'stable' if state.stable else 'unstable'}")


def main() -> None:
    exact = ac.equal_overlap_patterns(1000, 0.2)
    describe("equal-overlap patterns, gamma < 0", ac.design(exact, ACTIVATION, a=-0.3, b=0.95))
    describe("equal-overlap patterns, gamma > 0", ac.design(exact, ACTIVATION, a=0.1, b=0.95))
    patterns = ac.random_patterns(1000, 14, 0.2, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # random patterns: approximate equilibria, on purpose
        describe("random patterns, gamma < 0", ac.design(patterns, ACTIVATION, a=-0.3, b=0.95))


if __name__ == "__main__":
    main()

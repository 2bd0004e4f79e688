"""
Local stability and the phase diagram
=====================================

The Jacobian spectrum of every memory, exact at any N through a (P+1)×(P+1) reduction, next to
the paper's sufficient and instability conditions; then the phase diagram over gain ρ and
threshold x* for both signs of γ (theory.md §4).

Run: ``python examples/plot_2_local_stability.py``
"""

import assocrate as aa
from assocrate import plots

net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(rho=4.8, threshold=0.2), a=-0.3, b=0.95)

# %%
# Every memory at its equilibrium: largest eigenvalue, verdict from its sign, and the analytic
# conditions reported beside it (never instead of it).
stability = aa.local_stability(net)
print(stability)

# %%
# The spectrum of one memory with multiplicities (τ = 1): the retrieved 2×2 block, the other
# memories' eigenvalues, and -1 for the N - P - 1 directions outside the span of the patterns.
print(aa.jacobian_spectrum(net, 0).spectrum.grouped())

# %%
# A local Lyapunov certificate, P = D⁻¹, checked in exact rational arithmetic.
certificate = aa.lyapunov_certificate(net, 0)
print(certificate.status.code, "-", certificate.claim)

# %%
# The phase diagram of the paper: 30×30 (ρ, x*) grid, equal-overlap patterns, for a = -0.3
# (γ < 0) and a = 0.1 (γ > 0). Blue: every memory stable by the exact spectrum; red: unstable;
# dashed: edge of the region where the sufficient condition holds; dotted: edge of the region
# where the instability condition holds.
diagrams = [aa.phase_diagram(activation="sigmoid", a=a, b=0.95) for a in (-0.3, 0.1)]
phase = plots.phase_diagram_panels(diagrams)

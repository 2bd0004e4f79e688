"""
Dale's law
==========

The designed W mixes excitation and inhibition in every unit. Realize it with excitatory units
and one linear inhibitory unit (theory.md §6), check the sign of every weight block, compare the
augmented Jacobian spectra with the designed ones, and run the E/I dynamics from a cue.

Run: ``python examples/plot_7_dale.py``
"""

import numpy as np
from matplotlib.figure import Figure

import assocrate as aa

net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(rho=4.8, threshold=0.2), a=-0.3, b=0.95)

# %%
# E→E weights are the covariance weights shifted to be non-negative; the inhibitory unit reads
# the mean rate and feeds back w_EI = c - γ ≥ 0 to every excitatory unit.
dale = aa.dale_realization(net, n_inhibitory=1, tau_inhibitory=2.0)
print(dale)

# %%
# The augmented Jacobian is not symmetric: its spectrum (every memory) next to the designed one
# and the limits of fast and slow inhibition.
print(aa.dale_stability(dale))

# %%
# A cue that keeps 60 % of memory 0's active units, run in the E/I network and in the designed
# network. Time is in units of τ (τ = 1, τ_I = 2).
cues = aa.make_cues(net, "delete", 0.4, memories=[0], seed=0)
x0 = cues.x0[:, 0]
run = aa.simulate_dale(dale, x0, (0.0, 15.0))
designed = aa.simulate(net, x0, (0.0, 15.0))
print(run)

dale_figure = Figure(figsize=(6.2, 3.6))
ax = dale_figure.subplots()
xi = net.patterns[:, 0].astype(bool)
for label, times, states, style in (("Dale E/I network", run.t, run.x, "-"),
                                   ("designed network", designed.t, designed.states, "--")):
    states = np.asarray(states)  # (time, unit)
    ax.plot(times, states[:, xi].mean(axis=1), style, color="tab:red", label=f"{label}: active units of ξ⁰")
    ax.plot(times, states[:, ~xi].mean(axis=1), style, color="tab:blue", label=f"{label}: inactive units")
ax.set_xlabel("time t / τ")
ax.set_ylabel("mean rate")
ax.set_title("retrieval of memory 0 from a cue with 40 % of its active units deleted", fontsize=9)
ax.legend(fontsize=7)
dale_figure.tight_layout()

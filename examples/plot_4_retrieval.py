"""
Retrieval from noisy cues
=========================

The reference experiment of theory.md §7: N = 1000, q = 0.2, P = 14 random patterns, every memory
cued 4 times with 40 % of its active units deleted, run with dynamical noise σ = 0.1, for both
signs of γ. The overlap figure shows the cued memory's overlap and the other memories' against
time, with the 10–90 % range over cues.

Run: ``python examples/plot_4_retrieval.py``
"""

import warnings

import assocrate as aa
from assocrate import plots

phi = aa.Sigmoid(rho=4.8, threshold=0.2)
patterns = aa.random_patterns(1000, 14, 0.2, seed=0)

# %%
# Both signs of γ. The design uses the nominal statistics q = r = 0.2, so random patterns are
# approximate equilibria (the warning says so; silenced here on purpose).
results = {}
for a in (-0.3, 0.1):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        net = aa.design(patterns, phi, a, 0.95, q=0.2, r=0.2)
    cues = aa.make_cues(net, "delete", 0.4, trials=4, seed=1)
    result = aa.retrieve(net, cues, t_max=20.0, sigma=0.1, seed=2)
    results[f"a = {a:g}: γ = {net.gamma:.3g}"] = result
    print(result)
    print()

# %%
# With global inhibition (γ < 0) every cued memory is retrieved; with γ > 0 the all-on state is
# stable and every cue runs there (the cued overlap rises to φ(b), but so do all the others).
overlap_figure = plots.overlap_time_courses(results, title="overlaps with noise σ = 0.1, cues keep 60 % of active units")

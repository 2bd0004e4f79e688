"""
Reproducing the paper's reference experiment
=============================================

Reproduce the authors' reference experiment and the numbers of issue 16, side by side.

Run: ``python examples/reproduce_paper.py`` (about half a minute).

1. The reference run of :func:`assocrate.presets.paper`: N = 1000, P = 14 i.i.d. patterns,
   q = 0.2, sigmoid rho = 4.8, x* = 0.2, a = -0.3 and a = 0.1 (b = 0.95), 40 % deletion cues,
   999 Euler steps on t = 0, 0.01, ..., 9.99, no boundary, overlaps x . xi / (N q).
2. The two conventions that make a side-by-side comparison harder: the overlap normalisation
   and the number of steps.
3. The two defaults that differed beyond noise: reflection at 0 and 1 (sigma = 0.1), and the
   q, r that phase_diagram designs with.

Each number the issue quotes is printed beside ours.
"""

from __future__ import annotations

import warnings

import numpy as np

import assocrate as aa

SIGMA = 0.1


def reference_run() -> None:
    print("== 1. the reference run (deterministic, seed 0)")
    run = aa.paper()
    print(run.summary())
    own = aa.paper(normalize="pattern")
    print("\n== 2. conventions")
    for name in run.results:
        print(f"  {name:15s} mean cued overlap: x.xi/(N q) {run.results[name].mean_overlap_cued:.4f}   "
              f"x.xi/|xi| {own.results[name].mean_overlap_cued:.4f}")
    sizes = run.patterns.sum(axis=0)
    print(f"  pattern sizes {sizes.min()}..{sizes.max()} (N q = 200): with x.xi/(N q) a retrieved memory reads "
          f"phi(b)|xi|/(N q), {sizes.min() / 200:.3f}..{sizes.max() / 200:.3f}")
    print(f"  steps: the preset takes {run.n_steps} steps on {run.times.size} points t = 0..{run.times[-1]:g} "
          "(the authors' grid); retrieve(t_max=10, dt=0.01) takes 1000 steps on t = 0..10 (issue: 999 vs 1000)")


def reflection() -> None:
    print(f"\n== 3a. boundary at 0 and 1, sigma = {SIGMA:g} (4 cues per memory)")
    runs = {boundary: aa.paper(sigma=SIGMA, trials=4, boundary=boundary) for boundary in ("none", "reflect")}
    name = "negative gamma"
    bias = {boundary: run.inactive_rate_bias(name) for boundary, run in runs.items()}
    cued = {boundary: run.results[name].mean_overlap_cued for boundary, run in runs.items()}
    other = {boundary: run.results[name].mean_overlap_other for boundary, run in runs.items()}
    expected = SIGMA / np.sqrt(np.pi)  # E|N(0, sigma^2 / 2)|
    print(f"  inactive-unit mean rate - phi(a): none {bias['none']:+.4f}, reflect {bias['reflect']:+.4f} "
          f"(issue: +0.056 = E|N(0, sigma^2/2)| = {expected:.4f})")
    print(f"  cued overlap: none {cued['none']:.4f}, reflect {cued['reflect']:.4f}, drop {cued['none'] - cued['reflect']:.4f} "
          "(issue: ~0.06)")
    print(f"  other overlaps: none {other['none']:.4f}, reflect {other['reflect']:.4f}, "
          f"rise {other['reflect'] - other['none']:.4f} (issue: ~0.035)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        xi = aa.make_patterns("correlated", n_units=1000, q=0.2, r=0.4, seed=0)
        network = aa.design(xi, aa.Sigmoid(4.8, 0.2), 0.1, 0.95)
    cues = aa.make_cues(network, "delete", 0.4, trials=4, seed=1)
    values = {boundary: aa.retrieve(network, cues, n_steps=999, sigma=SIGMA, boundary=boundary, seed=2).mean_overlap_cued
              for boundary in ("none", "reflect")}
    print(f"  correlated r = 0.4, gamma = {network.gamma:.3g} > 0, P = {network.n_patterns}: cued overlap "
          f"none {values['none']:.2f}, reflect {values['reflect']:.2f} (issue: 0.86 vs 0.59; our patterns, cues "
          "and noise stream differ from the authors')")


def phase_q() -> None:
    print("\n== 3b. phase_diagram with the nominal q, r vs the patterns' estimates (the preset's patterns, 30 x 30 grid)")
    xi = aa.paper().patterns
    stats = aa.pattern_statistics(xi)
    print(f"  estimates: q = {stats.q:.4f}, r = {stats.r:.4f} (nominal 0.2, 0.2)")
    for activation in ("sigmoid", "tanh"):
        for a in (-0.3, 0.1):
            estimated = aa.phase_diagram(activation=activation, a=a, patterns=xi)
            nominal = aa.phase_diagram(activation=activation, a=a, patterns=xi, q=0.2, r=0.2)
            differ = int((estimated["unstable"] != nominal["unstable"]).sum())
            print(f"  {activation:7s} a = {a:+.1f}: verdicts differ in {differ} of {estimated['unstable'].size} cells "
                  f"(q_source {estimated.attrs['q_source']} vs {nominal.attrs['q_source']})")
    print("  (issue: 2 of 60 cells on the authors' grid)")


def main() -> None:
    reference_run()
    reflection()
    phase_q()


if __name__ == "__main__":
    main()

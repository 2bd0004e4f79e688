"""Mutation suite (issue 10): perturb every stored field of every kind, reseal, and re-check.

For each certificate kind, each exact entry is perturbed in turn -- sign flip, x2, x1e6, one
entry more, one entry fewer -- kept self-consistent (its float twin follows) and resealed, as an
adversary would. Then either :func:`~assocrate.certify.verification.verify` refuses it, or the
claim it re-derives is still true, checked by simulation from the corners of the certified set
(boxes, balls) or from random starts (global claims). Labels (memory, weights, form, method),
float twins (NaN) and the network are mutated as well.
"""

from __future__ import annotations

import dataclasses
import json
import math
from fractions import Fraction

import numpy as np
import pytest

import assocrate as aa
from assocrate.certify._reduction import reduce_network
from assocrate.certify.serialize import from_json, to_json
from assocrate.errors import InvalidInput

from .forgery import edited
from .helpers import euler_current

MUTATIONS = ("sign", "x2", "x1e6", "extra", "missing")


@pytest.fixture(scope="module")
def cases(certificates):
    """The shared honest certificates, with the input each was made for (None: autonomous)."""
    out = {}
    for name, (certificate, network) in certificates.items():
        cue = 1.0 * (2.0 * network.patterns[:, 1] - 1.0) if name.startswith("input") else None
        out[name] = (certificate, network, cue)
    return out


def _mutate(value, how: str):
    """The mutated exact entry, or None to delete it."""
    if isinstance(value, Fraction):
        return {"sign": -value, "x2": 2 * value, "x1e6": 10**6 * value, "extra": ((value, value),),
                "missing": None}[how]
    rows = [list(r) for r in value]
    if how in ("sign", "x2", "x1e6"):
        factor = {"sign": -1, "x2": 2, "x1e6": 10**6}[how]
        return tuple(tuple(factor * x for x in r) for r in rows)
    if len(rows) == 1:  # a row, one entry per class
        return (tuple(rows[0] + rows[0][-1:]),) if how == "extra" else (tuple(rows[0][:-1]),)
    if how == "extra":  # a k x k matrix grows by one class
        k = len(rows)
        grown = [r + [Fraction(0)] for r in rows] + [[Fraction(0)] * k + [Fraction(1)]]
        return tuple(tuple(r) for r in grown)
    return tuple(tuple(r[:-1]) for r in rows[:-1])


def _claim_holds(certificate, network, u) -> bool:
    """Simulate the re-derived claim from the corners of its certified set (or random starts)."""
    red = reduce_network(network, u=None if u is None else u)
    kind = certificate.kind
    steps = 600
    if kind in ("radius", "interval", "sector"):
        center = red.part.expand(np.array([float(x) for x in certificate.exact_data["center"][0]]))
        if kind in ("radius", "interval"):
            width = float(certificate.exact_data["delta"]) * red.part.expand(
                np.array([float(x) for x in certificate.exact_data["v"][0]]))
        else:  # the cube inscribed in the l2 ball, whose corners lie on the ball
            width = float(certificate.exact_data["r2"]) / math.sqrt(network.n_units) * np.ones(network.n_units)
        signs = red.part.expand(np.random.default_rng(1).choice([-1.0, 1.0], size=(red.n_classes, 8)))
        final = euler_current(network, center[:, None] + width[:, None] * signs, steps)
        return bool(np.all(np.abs(final - center[:, None]) <= 1e-6 + 1e-3 * width[:, None]))
    if kind == "lyapunov":  # local: small perturbations of the memory return to it
        x = network.memory_rates()[:, certificate.parameters["memory"]]
        h = network.weights_matvec(x)
        signs = np.random.default_rng(3).choice([-1.0, 1.0], size=(network.n_units, 8))
        final = euler_current(network, h[:, None] + 1e-3 * signs, steps)
        return bool(np.all(np.abs(final - h[:, None]) <= 1e-6))
    rng = np.random.default_rng(2)
    H = network.weights_matvec(rng.random((network.n_units, 8))) + (0.0 if u is None else u[:, None])
    final = euler_current(network, H, steps, u=0.0 if u is None else u[:, None])
    return bool(np.max(np.ptp(final, axis=1)) < 1e-6)


def _outcome(certificate, network, u):
    result = aa.verify(certificate, network, u=None)
    if result.verified:
        return "verified, claim true" if _claim_holds(result.certificate, network, u) else "VERIFIED A FALSE CLAIM"
    return "refused"


@pytest.mark.parametrize("name", ["radius", "interval", "perron", "sector", "input", "input-contraction", "lds",
                                  "contraction", "contraction-current", "lyapunov"])
def test_every_exact_entry_mutated_is_refused_or_still_true(cases, name):
    certificate, network, u = cases[name]
    assert certificate.certified and aa.verify(certificate, network).verified
    outcomes = {}
    for field, value in certificate.exact_data.items():
        for how in MUTATIONS:
            mutated = _mutate(value, how)
            if mutated is None:
                forged = edited(certificate, drop=(field,))
            else:
                forged = edited(certificate, exact={field: mutated})
            outcomes[field, how] = _outcome(forged, network, u)
    false = [key for key, outcome in outcomes.items() if outcome == "VERIFIED A FALSE CLAIM"]
    assert not false, false
    # the suite has teeth: sign flips, one entry more and one fewer of a vector never pass
    for (field, how), outcome in outcomes.items():
        if how in ("extra", "missing") or (how == "sign" and field not in ("center", "u", "lower")):
            assert outcome == "refused", (field, how, outcome)


@pytest.mark.parametrize("name", ["radius", "sector", "input", "lds", "contraction"])
def test_a_nan_is_refused_in_memory_and_in_a_file(cases, name):
    certificate, _, _ = cases[name]
    for field in certificate.exact_data:
        twin = {"R": "residual_bound"}.get(field, field)
        if twin not in certificate.data:
            continue
        value = np.array(certificate.data[twin], dtype=float, copy=True)
        value.reshape(-1)[0] = np.nan
        with pytest.raises(InvalidInput, match=rf"`data\['{twin}'\]` must be finite"):
            dataclasses.replace(certificate, data={**certificate.data, twin: value})
        document = json.loads(to_json(certificate))
        entry = document["data"][twin]
        if isinstance(entry, dict):
            flat = entry["values"]
            while isinstance(flat[0], list):
                flat = flat[0]
            flat[0] = "@nan@"
        else:
            document["data"][twin] = "@nan@"
        text = json.dumps(document).replace('"@nan@"', "NaN")
        with pytest.raises(InvalidInput, match="must not contain NaN"):
            from_json(text)


LABELS = [
    ("radius", "memory", 3, "hypothesis 5 fails (identity"),
    ("radius", "weights", "perron", None),  # a uniform v is also a positive weight vector: still true
    ("perron", "weights", "uniform", "hypothesis 2 fails (the box: the weights label"),
    ("sector", "memory", 0, "hypothesis 7 fails (identity"),
    ("input", "memory", 0, "hypothesis 4 fails (identity"),
    ("input", "retrieved", 2, "hypothesis 4 fails (identity"),
    ("input", "method", "contraction", "no exact entry"),
    ("input", "iterations", 10**9, "hypothesis 2 fails (the iteration"),
    ("contraction", "form", "current", None),  # holds or not: refused unless the LMI holds for that form too
    ("contraction", "rate", 0.5, "hypothesis 6 fails"),
    ("radius", "n_classes", 8, "classes of units"),
    ("radius", "reduction", "full", "classes of units"),
]


@pytest.mark.parametrize(("name", "key", "value", "message"), LABELS)
def test_a_swapped_label_is_refused_or_still_true(cases, name, key, value, message):
    certificate, network, u = cases[name]
    forged = edited(certificate, parameters={key: value})
    result = aa.verify(forged, network)
    if message is None:
        assert not result.verified or _claim_holds(result.certificate, network, u)
    else:
        assert not result.verified and any(message in p for p in result.problems), result.problems


@pytest.mark.parametrize("name", ["radius", "sector", "input", "lds", "contraction"])
def test_a_certificate_is_refused_for_another_network(cases, positive_gamma_network, name):
    certificate, _, _ = cases[name]
    result = aa.verify(certificate, positive_gamma_network)
    assert not result.verified and any("another network" in p for p in result.problems)

"""Helpers shared by the certify tests."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import numpy as np

from assocrate.certify.exact import to_rational
from assocrate.certify.record import Certificate, ConstraintResidual, SolverInfo
from assocrate.core.activations import Sigmoid


def low_gain(network, rho=0.5):
    """The same W run with a low-gain sigmoid: eta * lambda_max(W) < 1, a monostable network."""
    return dataclasses.replace(network, activation=Sigmoid(rho, network.activation.threshold))


def boundary_network(network, excess):
    """W unchanged, gain eta with eta lambda_max(W) = 1 + excess, and the uniform state 1/2 at the peak slope.

    With threshold = gamma/2 - 1/(2 rho), x = 1/2 is an equilibrium (phi(gamma/2) = 1/2) whose
    Jacobian has the eigenvalue -1 + rho lambda_max(W) = excess > 0: not stable.
    """
    lam = network.eigenvalues_of_weights().max
    rho = (1 + excess) / lam
    threshold = network.gamma / 2 - 1 / (2 * rho)
    return dataclasses.replace(network, activation=Sigmoid(rho, threshold))


def make_certificate(**changes) -> Certificate:
    P = np.array([[2.0, 0.5], [0.5, 1.0]])
    fields = dict(
        claim="memory 0 is locally exponentially stable",
        kind="lyapunov",
        data={"P": P, "J": -np.eye(2), "delta": 0.25},
        solver=SolverInfo("CLARABEL", version="0.9.0", status="optimal", solve_time=0.12),
        residuals=[
            ConstraintResidual("P > 0", float(np.linalg.eigvalsh(P)[0])),
            ConstraintResidual("-(J^T P + P J) > 0", 1.5),
        ],
        verified_float=True,
        verified_exact=True,
        parameters={"memory": 0, "eta": 0.3, "activation": "sigmoid", "refined": True},
        exact_data={"P": to_rational(P, grid=2**20), "delta": Fraction(1, 4)},
    )
    fields.update(changes)
    claim, kind, data = fields.pop("claim"), fields.pop("kind"), fields.pop("data")
    return Certificate(claim, kind, data, **fields)


def euler_current(network, H, steps, s=0.5, u=0.0):
    """Explicit Euler on the current form, batched; returns the final states and max_t |h(t) - h(0)_ref|."""
    phi = network.activation.phi
    for _ in range(steps):
        H = H + s * (-H + network.weights_matvec(phi(H)) + u)
    return H

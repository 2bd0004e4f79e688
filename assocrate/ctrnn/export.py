"""Export of a discrete-time network as plain arrays for a PyTorch CTRNN (nn4n / neurogym layout; theory.md §6b).

Loading an export into a PyTorch CTRNN
--------------------------------------
:func:`export_ctrnn` writes plain arrays laid out as ``torch.nn.Linear`` weights (rows receive,
``weight`` has shape (out, in)). With ``rnn.W_hid = nn.Linear(N, N)`` and ``rnn.W_in = nn.Linear(n_in, N)``::

    d = np.load("ctrnn.npz"); T = lambda name: torch.from_numpy(d[name]).float()
    L, R = (T("U"), T("U")) if "U" in d else (T("L"), T("R"))    # W = L diag(c) R^T
    rnn.W_hid.weight.data = T("W_hid") if "W_hid" in d else L @ torch.diag(T("c")) @ R.T
    rnn.W_in.weight.data, rnn.W_hid.bias.data, rnn.alpha = T("W_in"), T("b_hid"), float(d["gamma"])

A symmetric W (the betteti rule, or the projection rule with equal activities) is written as one
factor ``U`` (``W = U diag(c) U^T``); a non-symmetric one (projection rule, unequal activities) as
``L`` and ``R`` (``W = L diag(c) R^T``, rows of W receive). ``json.loads(str(d["metadata"]))``
holds the equations, tau, dt, the activation, the layout of W and the readout (``W_out`` gives
the P overlaps of the rates). With a Dale realization the file also holds the E/I sign mask
``ei_mask`` (+1 excitatory, -1 inhibitory, for the N + N_I units of ``W_hid_dale``, or its
factors) and the per-unit step ratios ``gamma_units``.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np

from ..core.design import DENSE_LIMIT
from ..dale import DaleNetwork
from ..dale.realization import realizes
from ..errors import InvalidInput, InvalidType
from ..io import atomic_write_bytes
from .map import DiscreteNetwork, check_discrete

__all__ = ["CTRNN_FORMAT", "export_ctrnn"]

#: Format name in the metadata of :func:`export_ctrnn` files.
CTRNN_FORMAT = "assocrate.ctrnn"

_UPDATES = {
    "current": "v[t+1] = (1 - gamma) v[t] + gamma (W_hid f(v[t]) + W_in u[t] + b_hid + eps[t]) + xi[t]; r[t] = f(v[t])",
    "rate": "x[t+1] = (1 - gamma) x[t] + gamma f(W_hid x[t] + W_in u[t] + b_hid + eps[t]) + xi[t]; r[t] = x[t]",
}


def _check_realization(dale: object, discrete: DiscreteNetwork) -> DaleNetwork:
    if not isinstance(dale, DaleNetwork):
        raise InvalidType(f"`dale` must be a DaleNetwork (see dale_realization); got {type(dale).__name__}")
    if not realizes(dale, discrete.network):
        raise InvalidInput("`dale` must be a realization of the exported network; got one of another network")
    return dale


def _dale_arrays(discrete: DiscreteNetwork, dale: DaleNetwork, dense: bool) -> tuple[dict, dict]:
    """The arrays and the metadata entry of the N + N_I unit realization."""
    network = discrete.network
    N, n_I = network.n_units, dale.n_inhibitory
    arrays = {
        "ei_mask": np.append(np.ones(N, dtype=np.int8), -np.ones(n_I, dtype=np.int8)),
        "c_EE": np.asarray(dale.c_EE),
        "w_IE": np.array(1.0 / N),
        "w_EI": np.array(-dale.w_EI / n_I),
        "gamma_units": np.append(np.full(N, discrete.dt / network.tau), np.full(n_I, discrete.dt / dale.tau_inhibitory)),
    }
    if network.rule == "betteti":  # W_EE = U diag(c_EE) U^T with the design's own U
        factors = "U diag(c_EE) U^T"
    elif dale.is_symmetric:
        arrays["U_EE"] = np.asarray(dale.L_EE)
        factors = "U_EE diag(c_EE) U_EE^T (U_EE = [U, 1])"
    else:
        arrays["L_EE"], arrays["R_EE"] = np.asarray(dale.L_EE), np.asarray(dale.R_EE)
        factors = "L_EE diag(c_EE) R_EE^T (L_EE = [L, 1], R_EE = [R, 1])"
    if dense:
        blocks = dale.dense_blocks()
        arrays["W_hid_dale"] = np.block([[blocks.EE, blocks.EI], [blocks.IE, blocks.II]])
    metadata = {
        "n_excitatory": N,
        "n_inhibitory": n_I,
        "ei_ratio": N / (N + n_I),
        "tau_inhibitory": dale.tau_inhibitory,
        "c": dale.c,
        "update": (
            f"units 0..N-1 as the rate form with W_EE = {factors} and I->E weights w_EI; units N.. are "
            "linear: r[t+1] = (1 - gamma_I) r[t] + gamma_I w_IE sum(x[t]) (W_hid_dale holds all blocks)"
        ),
    }
    return arrays, metadata


def export_ctrnn(
    discrete: DiscreteNetwork,
    path: str | os.PathLike,
    *,
    dense: bool = False,
    dale: DaleNetwork | None = None,
) -> Path:
    """Write the network as plain arrays for an ``nn.Linear``-based CTRNN (``.npz``, atomically).

    Arrays (float64, rows receive): ``U`` (N x m) and ``c`` (m,) with ``W = U diag(c) U^T`` for a
    symmetric W, or ``L``, ``R`` (N x m each) and ``c`` with ``W = L diag(c) R^T`` for a
    non-symmetric one (projection rule, unequal activities); ``W_hid`` (N x N) only with ``dense=True``; ``W_in`` (N x n_in; an identity W_in is written
    only for N <= DENSE_LIMIT, the metadata says so otherwise); ``b_hid`` (N,); ``W_out``
    (P x N, the overlap readout); ``gamma`` (dt / tau); ``metadata`` (a JSON string).
    With `dale` (a :func:`assocrate.dale.dale_realization` of the same network) also the
    N + N_I unit realization: ``ei_mask`` (+1 for the N excitatory, -1 for the N_I inhibitory
    units), ``c_EE`` (``W_EE = U diag(c_EE) U^T >= 0`` for the betteti rule; other rules also
    write ``U_EE = [U, 1]``, or ``L_EE = [L, 1]`` and ``R_EE = [R, 1]``, with
    ``W_EE = L_EE diag(c_EE) R_EE^T``), ``w_IE`` (each E->I weight, 1/N),
    ``w_EI`` (each I->E weight, ``-w_EI / N_I``), ``gamma_units`` (dt/tau for E, dt/tau_I for I;
    the inhibitory units are linear), and with ``dense=True`` ``W_hid_dale`` ((N + N_I)^2).
    Loading: see the module docstring.

    Parameters
    ----------
    discrete : DiscreteNetwork
    path : str or os.PathLike
        Destination (``.npz``).
    dense : bool, default False
        Also write W as an N x N array (N must be <= DENSE_LIMIT = 20000).
    dale : DaleNetwork, optional

    Returns
    -------
    pathlib.Path

    Raises
    ------
    InvalidInput
        For ``dense=True`` above DENSE_LIMIT, or a `dale` of another network.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(100, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> target = export_ctrnn(aa.discretize(net, 0.1), pathlib.Path(tempfile.mkdtemp()) / "ctrnn.npz", dense=True)
    >>> d = np.load(target)
    >>> bool(np.allclose(d["W_hid"], d["U"] @ np.diag(d["c"]) @ d["U"].T)), float(d["gamma"])
    (True, 0.1)
    """
    discrete = check_discrete(discrete)
    if not isinstance(dense, (bool, np.bool_)):
        raise InvalidType(f"`dense` must be True or False; got {dense!r}")
    realization = None if dale is None else _check_realization(dale, discrete)
    network = discrete.network
    N = network.n_units
    if dense and N > DENSE_LIMIT:
        raise InvalidInput(
            f"`dense` W_hid would be {N} x {N}; dense export needs N <= {DENSE_LIMIT}: export the factors "
            "(dense=False) and form U diag(c) U^T (or L diag(c) R^T) where it is needed"
        )
    factors = {"U": np.asarray(network.L)} if network.is_symmetric else {"L": np.asarray(network.L), "R": np.asarray(network.R)}
    arrays: dict[str, np.ndarray] = {
        **factors,
        "c": np.asarray(network.c),
        "b_hid": np.asarray(discrete.bias),
        "W_out": np.asarray(discrete.readout),
        "gamma": np.array(discrete.gamma),
    }
    if discrete.input_weights is not None:
        arrays["W_in"] = np.asarray(discrete.input_weights)
    elif N <= DENSE_LIMIT:
        arrays["W_in"] = np.eye(N)
    if dense:
        arrays["W_hid"] = network.dense_weights()
    metadata = {
        "format": CTRNN_FORMAT,
        "version": 1,
        "form": discrete.form,
        "update": _UPDATES[discrete.form],
        "weights": (
            "W_hid = U diag(c) U^T" if network.is_symmetric else "W_hid = L diag(c) R^T (not symmetric)"
        ) + " (rows receive, as nn.Linear.weight)",
        "readout": "overlaps m = W_out r",
        "dt": discrete.dt,
        "tau": network.tau,
        "gamma": discrete.gamma,
        "n_units": N,
        "n_patterns": network.n_patterns,
        "n_inputs": discrete.n_inputs,
        "network": network.parameters_record(),
        "dense": bool(dense),
        "W_in": "stored" if "W_in" in arrays else "identity (not stored: N > DENSE_LIMIT)",
    }
    if realization is not None:
        dale_arrays, metadata["dale"] = _dale_arrays(discrete, realization, bool(dense))
        arrays.update(dale_arrays)
    arrays["metadata"] = np.array(json.dumps(metadata))
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return atomic_write_bytes(path, buffer.getvalue())

"""The bad-input corpus (issue 11): hostile input to every command and to the public API, from tables.

Every CLI case must end as one ``error: ...`` line on stderr with exit status 2, naming the option,
argument or file at fault; every API case must raise ValueError or TypeError naming the argument.
A case that exits 0 (or returns) was *silently accepted*; an exception escaping :func:`main` is a
*traceback*; anything else (exit 1, several lines, no mention of the culprit) is *unclear*. The
last tests print the counts of each class and require 0 tracebacks, 0 silently accepted, 0 unclear.

CLI cases run in-process through :func:`assocrate.cli.main` (no subprocesses: the corpus is fast).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import assocrate as aa
from assocrate.cli import main

#: The outcome of every case run so far, by case id: "clean", "accepted", "traceback" or "unclear".
OUTCOMES: dict[str, str] = {}

N = 100  # small networks: every case is refused before any real work

# --- the files the cases read -----------------------------------------------------------------


def _rewrite(source: Path, target: Path, change) -> Path:
    with np.load(source) as archive:
        arrays = dict(archive)
    change(arrays)
    np.savez(target, **arrays)
    return target


def _metadata(arrays: dict) -> dict:
    return json.loads(arrays["metadata"].tobytes())


def _set_metadata(arrays: dict, value: object) -> None:
    arrays["metadata"] = np.frombuffer(json.dumps(value).encode(), dtype=np.uint8)


def _set_deep_metadata(arrays: dict, depth: int = 5000) -> None:
    text = '{"format": "assocrate.network", "version": 2, "x": ' + '{"x": ' * depth + "0" + "}" * (depth + 1)
    arrays["metadata"] = np.frombuffer(text.encode(), dtype=np.uint8)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """Good and bad input files, by name (one good network ``net``, the rest broken in one way each)."""
    folder = tmp_path_factory.mktemp("corpus")
    network = aa.design(aa.equal_overlap_patterns(N, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    net = aa.save_network(folder / "net.npz", network)
    paths = {"net": net, "dir": folder}
    (folder / "text.csv").write_text("1,0\n0,1\n")
    paths["text_csv"] = folder / "text.csv"
    (folder / "empty.npz").write_bytes(b"")
    paths["empty_npz"] = folder / "empty.npz"
    np.save(folder / "single.npy", np.zeros(3))
    paths["single_npy"] = folder / "single.npy"
    np.savez(folder / "foreign.npz", x=np.zeros(3))
    paths["foreign_npz"] = folder / "foreign.npz"
    paths["list_metadata"] = _rewrite(net, folder / "list_metadata.npz", lambda a: _set_metadata(a, [1, 2]))
    paths["n_units_edited"] = _rewrite(net, folder / "n_units_edited.npz", lambda a: a.update(n_units=np.array(N - 5)))
    paths["n_units_huge"] = _rewrite(net, folder / "n_units_huge.npz", lambda a: a.update(n_units=np.array(10**6)))
    paths["gamma_edited"] = _rewrite(
        net, folder / "gamma_edited.npz", lambda a: _set_metadata(a, {**_metadata(a), "gamma": 0.5})
    )
    paths["deep_metadata"] = _rewrite(net, folder / "deep_metadata.npz", _set_deep_metadata)
    paths["huge_metadata"] = _rewrite(
        net, folder / "huge_metadata.npz", lambda a: _set_metadata(a, {**_metadata(a), "pad": "x" * 200_000})
    )
    paths["complex_patterns_net"] = _rewrite(
        net, folder / "complex_patterns_net.npz", lambda a: a.update(patterns=a["patterns"].astype(complex))
    )
    data = net.read_bytes()
    (folder / "truncated.npz").write_bytes(data[: len(data) // 2])
    paths["truncated"] = folder / "truncated.npz"
    (folder / "dir.npz").mkdir()
    paths["dir_npz"] = folder / "dir.npz"
    paths["missing"] = folder / "missing.npz"
    xi = aa.random_patterns(N, 4, 0.2, seed=0)
    np.save(folder / "patterns.npy", xi)
    paths["patterns"] = folder / "patterns.npy"
    np.save(folder / "complex.npy", xi.astype(complex))
    paths["complex"] = folder / "complex.npy"
    (folder / "empty.csv").write_text("")
    paths["empty_csv"] = folder / "empty.csv"
    (folder / "words.csv").write_text("a,b\nc,d\n")
    paths["words_csv"] = folder / "words.csv"
    np.save(folder / "nonbinary.npy", np.full((N, 3), 0.5))
    paths["nonbinary"] = folder / "nonbinary.npy"
    np.save(folder / "cube.npy", np.zeros((2, 2, 2)))
    paths["cube"] = folder / "cube.npy"
    np.save(folder / "cues.npy", np.eye(N, 2))
    paths["cues"] = folder / "cues.npy"
    np.save(folder / "fractions.npy", np.array([0.5, 1.0]))
    paths["fractions"] = folder / "fractions.npy"
    np.save(folder / "nans.npy", np.array([np.nan, 1.0]))
    paths["nans"] = folder / "nans.npy"
    (folder / "notes.txt").write_text("x")
    paths["notes"] = folder / "notes.txt"
    return paths


# --- the CLI table ------------------------------------------------------------------------------
# (id, arguments, what the message must name); {name} is replaced by the path of files[name].

BAD_NETWORK_FILES = (
    "missing", "dir_npz", "text_csv", "empty_npz", "single_npy", "foreign_npz", "list_metadata",
    "n_units_edited", "n_units_huge", "gamma_edited", "deep_metadata", "huge_metadata", "complex_patterns_net",
    "truncated",
)
NETWORK_COMMANDS = ("check", "dale", "certify", "retrieve", "spike", "discretize --dt 0.1", "graph")

CLI_CASES: list[tuple[str, tuple[str, ...], str]] = [
    (f"{command.split()[0]}-{bad}", (*command.split()[:1], f"{{{bad}}}", *command.split()[1:]), f"{{{bad}}}")
    for command in NETWORK_COMMANDS for bad in BAD_NETWORK_FILES
]
CLI_CASES += [(f"{command}-{bad}", (command, f"{{{bad}}}", "{net}"), f"{{{bad}}}") for command in ("verify",)
              for bad in ("missing", "dir_npz")]

# Options that do not apply to the pattern source, bad pattern files, bad pattern options.
for command in ("design", "phase"):
    CLI_CASES += [
        (f"{command}-equal-overlap-p0", (command, "--p", "0"), "--p"),
        (f"{command}-equal-overlap-p-7", (command, "--p", "-7"), "--p"),
        (f"{command}-equal-overlap-seed", (command, "--seed", "3"), "--seed"),
        (f"{command}-file-n", (command, "--patterns", "{patterns}", "--n", "-3"), "--n"),
        (f"{command}-file-p", (command, "--patterns", "{patterns}", "--p", "3"), "--p"),
        (f"{command}-file-seed", (command, "--patterns", "{patterns}", "--seed", "1"), "--seed"),
        (f"{command}-complex-file", (command, "--patterns", "{complex}"), "complex.npy"),
        (f"{command}-empty-csv", (command, "--patterns", "{empty_csv}"), "empty.csv"),
        (f"{command}-words-csv", (command, "--patterns", "{words_csv}"), "words.csv"),
        (f"{command}-nonbinary", (command, "--patterns", "{nonbinary}"), "{nonbinary}"),
        (f"{command}-cube", (command, "--patterns", "{cube}"), "{cube}"),
        (f"{command}-missing-patterns", (command, "--patterns", "{missing}"), "missing.npz"),
        (f"{command}-unknown-ensemble", (command, "--patterns", "letters"), "--patterns"),
        (f"{command}-txt-patterns", (command, "--patterns", "{notes}"), "--patterns"),
        (f"{command}-correlated-no-r", (command, "--patterns", "correlated"), "--r"),
        (f"{command}-correlated-r5", (command, "--patterns", "correlated", "--r", "5"), "r"),
        (f"{command}-random-p-7", (command, "--patterns", "random", "--p", "-7"), "--p"),
        (f"{command}-random-n0", (command, "--patterns", "random", "--n", "0"), "--n"),
        (f"{command}-q-nan", (command, "--q", "nan"), "q"),
        (f"{command}-q-1.5", (command, "--q", "1.5"), "q"),
        (f"{command}-a-above-b", (command, "--a", "1", "--b", "0.5"), "`a`"),
        (f"{command}-tau0", (command, "--tau", "0"), "tau"),
        (f"{command}-tau-text", (command, "--tau", "fast"), "--tau"),
        (f"{command}-out-missing-dir", (command, "--out", "{dir}/nowhere/x.out"), "--out"),
        (f"{command}-out-is-dir", (command, "--out", "{dir}"), "--out"),
        (f"{command}-unknown-option", (command, "--bogus", "1"), "--bogus"),
    ]
CLI_CASES += [
    ("design-random-r", ("design", "--patterns", "random", "--r", "0.3"), "--r"),
    ("phase-file-r-nan", ("phase", "--patterns", "{patterns}", "--r", "nan"), "r"),
    ("design-equal-overlap-layout", ("design", "--layout", "patterns-by-units"), "--layout"),
    ("design-random-layout", ("design", "--patterns", "random", "--layout", "patterns-by-units"), "--layout"),
    ("design-file-q", ("design", "--patterns", "{patterns}", "--q", "7"), "--q"),
    ("design-file-r", ("design", "--patterns", "{patterns}", "--r", "0.5"), "--r"),
    ("design-equal-overlap-r5", ("design", "--r", "5"), "--r"),
    ("design-rho-neg", ("design", "--rho", "-1"), "rho"),
    ("design-threshold-inf", ("design", "--threshold", "inf"), "threshold"),
    ("design-activation", ("design", "--activation", "relu"), "--activation"),
    ("design-tau-m-sigmoid", ("design", "--tau-m", "0.01"), "--tau-m"),
    ("design-n-text", ("design", "--n", "abc"), "--n"),
    ("design-huge-n", ("design", "--patterns", "random", "--n", str(10**12), "--p", "5"), "n"),
    ("phase-rho-range-0", ("phase", "--rho-range", "1", "2", "0"), "--rho-range"),
    ("phase-threshold-range-0", ("phase", "--threshold-range", "0", "1", "-1"), "--threshold-range"),
    ("phase-rho-range-huge", ("phase", "--rho-range", "1", "2", str(10**10)), "--rho-range"),
    ("phase-grid-too-large", ("phase", "--rho-range", "1", "2", "10000", "--threshold-range", "0", "1", "10000",
                              "--patterns", "random", "--n", "1000", "--p", "50"), "grid"),
    ("phase-rho-range-neg", ("phase", "--rho-range", "-1", "2", "3"), "rho"),
    ("phase-activation-lif", ("phase", "--activation", "lif"), "--activation"),
    ("phase-figure-ext", ("phase", "--figure", "{dir}/phase.txt"), "--figure"),
    ("phase-figure-missing-dir", ("phase", "--figure", "{dir}/nowhere/phase.png"), "--figure"),
]
RETRIEVE = ("retrieve", "{net}")
CLI_CASES += [
    ("retrieve-cue-kind", (*RETRIEVE, "--cue", "erase:0.4"), "--cue"),
    ("retrieve-cue-level", (*RETRIEVE, "--cue", "delete:1.5"), "--cue"),
    ("retrieve-cue-text", (*RETRIEVE, "--cue", "delete:lots"), "--cue"),
    ("retrieve-cue-empty", (*RETRIEVE, "--cue", ""), "--cue"),
    ("retrieve-cue-input-duration", (*RETRIEVE, "--cue", "input:1:-2"), "--cue"),
    ("retrieve-trials0", (*RETRIEVE, "--trials", "0"), "trials"),
    ("retrieve-trials-neg", (*RETRIEVE, "--trials", "-1"), "trials"),
    ("retrieve-trials-huge", (*RETRIEVE, "--trials", str(10**9)), "trials"),
    ("retrieve-sigma-neg", (*RETRIEVE, "--sigma", "-1"), "sigma"),
    ("retrieve-sigma-nan", (*RETRIEVE, "--sigma", "nan"), "sigma"),
    ("retrieve-t-max0", (*RETRIEVE, "--t-max", "0"), "--t-max"),
    ("retrieve-t-max-neg", (*RETRIEVE, "--t-max", "-1"), "--t-max"),
    ("retrieve-t-max-huge", (*RETRIEVE, "--t-max", "1e12"), "steps"),
    ("retrieve-n-steps0", (*RETRIEVE, "--n-steps", "0"), "--n-steps"),
    ("retrieve-t-max-and-n-steps", (*RETRIEVE, "--t-max", "5", "--n-steps", "10"), "n_steps"),
    ("retrieve-dt0", (*RETRIEVE, "--dt", "0"), "dt"),
    ("retrieve-dt-above-t-max", (*RETRIEVE, "--dt", "20"), "dt"),
    ("retrieve-tol0", (*RETRIEVE, "--tol", "0"), "tol"),
    ("retrieve-tol-big", (*RETRIEVE, "--tol", "0.6"), "tol"),
    ("retrieve-dtype", (*RETRIEVE, "--dtype", "float16"), "--dtype"),
    ("retrieve-boundary", (*RETRIEVE, "--boundary", "wrap"), "--boundary"),
    ("retrieve-normalize", (*RETRIEVE, "--normalize", "max"), "--normalize"),
    ("retrieve-figure-ext", (*RETRIEVE, "--figure", "{dir}/overlaps.txt"), "--figure"),
    ("retrieve-figure-missing-dir", (*RETRIEVE, "--figure", "{dir}/nowhere/o.png"), "--figure"),
    ("retrieve-figure-is-dir", (*RETRIEVE, "--figure", "{dir_npz}"), "--figure"),
    ("retrieve-seed-neg", (*RETRIEVE, "--seed", "-1"), "seed"),
    ("retrieve-no-network", ("retrieve",), "network_file"),
    ("retrieve-cues-with-cue", (*RETRIEVE, "--cues", "{cues}", "--cue", "flip:0.1"), "--cue"),
    ("retrieve-cues-with-trials", (*RETRIEVE, "--cues", "{cues}", "--trials", "3"), "--trials"),
    ("retrieve-cued-fraction", (*RETRIEVE, "--cues", "{cues}", "--cued", "{fractions}"), "--cued"),
    ("retrieve-units-nan", (*RETRIEVE, "--cues", "{cues}", "--units", "{nans}"), "--units"),
    ("retrieve-cued-without-cues", (*RETRIEVE, "--cued", "{fractions}"), "--cues"),
    ("retrieve-cues-complex", (*RETRIEVE, "--cues", "{complex}"), "complex.npy"),
    ("retrieve-cues-empty", (*RETRIEVE, "--cues", "{empty_csv}"), "empty.csv"),
]
CAPACITY = ("capacity", "--scheduler", "synchronous")
CLI_CASES += [
    ("capacity-loads-50", ("capacity", "--n", "100", "--loads", "50"), "loads"),
    ("capacity-loads-0", (*CAPACITY, "--loads", "0"), "--loads"),
    ("capacity-loads-neg", (*CAPACITY, "--loads", "-0.1"), "--loads"),
    ("capacity-loads-text", (*CAPACITY, "--loads", "some"), "--loads"),
    ("capacity-loads-count0", (*CAPACITY, "--loads", "0.1:0.2:0"), "--loads"),
    ("capacity-loads-inf", (*CAPACITY, "--loads", "inf"), "--loads"),
    ("capacity-n1", (*CAPACITY, "--n", "1"), "n"),
    ("capacity-q0", (*CAPACITY, "--q", "0"), "q"),
    ("capacity-trials0", (*CAPACITY, "--trials", "0"), "trials"),
    ("capacity-cue", (*CAPACITY, "--cue", "erase:0.2"), "--cue"),
    ("capacity-scheduler", ("capacity", "--scheduler", "fast"), "--scheduler"),
    ("capacity-checkpoint-dir", (*CAPACITY, "--checkpoint", "{dir}"), "--checkpoint"),
    ("capacity-checkpoint-missing-dir", (*CAPACITY, "--checkpoint", "{dir}/nowhere/c.nc"), "--checkpoint"),
    ("capacity-checkpoint-foreign", (*CAPACITY, "--n", "100", "--loads", "0.02", "--checkpoint", "{text_csv}"),
     "text.csv"),
    ("capacity-t-max0", (*CAPACITY, "--t-max", "0"), "--t-max"),
    ("capacity-figure-ext", (*CAPACITY, "--figure", "{dir}/c.docx"), "--figure"),
    ("capacity-out-missing-dir", (*CAPACITY, "--out", "{dir}/nowhere/c.nc"), "--out"),
    ("capacity-seed-neg", (*CAPACITY, "--seed", "-1"), "seed"),
    ("capacity-activation", (*CAPACITY, "--activation", "relu"), "--activation"),
    ("capacity-rho0", (*CAPACITY, "--rho", "0"), "rho"),
    ("capacity-a-above-b", (*CAPACITY, "--n", "100", "--loads", "0.02", "--a", "1", "--b", "0"), "`a`"),
]
CERTIFY = ("certify", "{net}")
CLI_CASES += [
    ("certify-kind", (*CERTIFY, "--kind", "global"), "--kind"),
    ("certify-lds-memory", (*CERTIFY, "--kind", "lds", "--memory", "2"), "--memory"),
    ("certify-radius-kappa", (*CERTIFY, "--kappa", "2"), "--kappa"),
    ("certify-radius-cue", (*CERTIFY, "--cue", "pattern"), "--cue"),
    ("certify-radius-form", (*CERTIFY, "--form", "current"), "--form"),
    ("certify-input-method", (*CERTIFY, "--kind", "input", "--method", "lmi"), "--method"),
    ("certify-contraction-weights", (*CERTIFY, "--kind", "contraction", "--weights", "perron"), "--weights"),
    ("certify-memory-99", (*CERTIFY, "--memory", "99"), "memory"),
    ("certify-memory-neg", (*CERTIFY, "--memory", "-1"), "memory"),
    ("certify-solver", (*CERTIFY, "--solver", "MOSEK2"), "--solver"),
    ("certify-method", (*CERTIFY, "--method", "box"), "--method"),
    ("certify-weights", (*CERTIFY, "--weights", "equal"), "--weights"),
    ("certify-kappa-inf", (*CERTIFY, "--kind", "input", "--kappa", "inf"), "--kappa"),
    ("certify-kappa-1e308", (*CERTIFY, "--kind", "input", "--kappa", "1e308"), "--kappa"),
    ("certify-form", (*CERTIFY, "--kind", "contraction", "--form", "spike"), "--form"),
    ("certify-out-missing-dir", (*CERTIFY, "--out", "{dir}/nowhere/c.json"), "--out"),
    ("verify-no-network", ("verify",), "certificate_file"),
]
DISCRETIZE = ("discretize", "{net}")
CLI_CASES += [
    ("discretize-no-dt", DISCRETIZE, "--dt"),
    ("discretize-dt0", (*DISCRETIZE, "--dt", "0"), "dt"),
    ("discretize-dt-neg", (*DISCRETIZE, "--dt", "-0.1"), "dt"),
    ("discretize-dt-nan", (*DISCRETIZE, "--dt", "nan"), "dt"),
    ("discretize-form", (*DISCRETIZE, "--dt", "0.1", "--form", "spike"), "--form"),
    ("discretize-dense-no-export", (*DISCRETIZE, "--dt", "0.1", "--dense"), "--export"),
    ("discretize-export-missing-dir", (*DISCRETIZE, "--dt", "0.1", "--export", "{dir}/nowhere/c.npz"), "--export"),
    ("discretize-export-is-dir", (*DISCRETIZE, "--dt", "0.1", "--export", "{dir}"), "--export"),
    ("discretize-n-inhibitory-no-dale", (*DISCRETIZE, "--dt", "0.1", "--n-inhibitory", "2"), "--n-inhibitory"),
    ("discretize-tau-inhibitory-no-dale", (*DISCRETIZE, "--dt", "0.1", "--tau-inhibitory", "2"), "--tau-inhibitory"),
    ("discretize-n-inhibitory0", (*DISCRETIZE, "--dt", "0.1", "--n-inhibitory", "0"), "--n-inhibitory"),
]
GRAPH = ("graph", "{net}")
CLI_CASES += [
    ("graph-kind", (*GRAPH, "--kind", "full"), "--kind"),
    ("graph-types-trials", (*GRAPH, "--trials", "3"), "--trials"),
    ("graph-types-sigma", (*GRAPH, "--sigma", "0.1"), "--sigma"),
    ("graph-types-seed", (*GRAPH, "--seed", "1"), "--seed"),
    ("graph-types-t-max", (*GRAPH, "--t-max", "5"), "--t-max"),
    ("graph-types-cue", (*GRAPH, "--cue", "flip:0.1"), "--cue"),
    ("graph-types-threshold", (*GRAPH, "--threshold", "0.1"), "--threshold"),
    ("graph-synaptic-cue", (*GRAPH, "--kind", "synaptic", "--cue", "flip:0.1"), "--cue"),
    ("graph-transition-threshold", (*GRAPH, "--kind", "transition", "--threshold", "0.1"), "--threshold"),
    ("graph-transition-max-units", (*GRAPH, "--kind", "transition", "--max-units", "10"), "--max-units"),
    ("graph-out-suffix", (*GRAPH, "--out", "{dir}/g.txt"), "--out"),
    ("graph-out-missing-dir", (*GRAPH, "--out", "{dir}/nowhere/g.graphml"), "--out"),
    ("graph-max-units0", (*GRAPH, "--kind", "synaptic", "--max-units", "0"), "--max-units"),
    ("graph-max-units-small", (*GRAPH, "--kind", "synaptic", "--max-units", "10"), "max_units"),
    ("graph-trials0", (*GRAPH, "--kind", "transition", "--trials", "0"), "--trials"),
    ("graph-sigma-neg", (*GRAPH, "--kind", "transition", "--sigma", "-1"), "sigma"),
    ("graph-t-max0", (*GRAPH, "--kind", "transition", "--t-max", "0"), "t_max"),
    ("graph-cue", (*GRAPH, "--kind", "transition", "--cue", "erase:1"), "--cue"),
    ("graph-figure-types", (*GRAPH, "--figure", "{dir}/g.png"), "--figure"),
    ("graph-figure-ext", (*GRAPH, "--kind", "transition", "--figure", "{dir}/g.txt"), "--figure"),
]
SPIKE = ("spike", "{net}")
CLI_CASES += [
    ("spike-neuron", (*SPIKE, "--neuron", "hh"), "--neuron"),
    ("spike-target", (*SPIKE, "--target", "cuda"), "--target"),
    ("spike-trials-text", (*SPIKE, "--trials", "many"), "--trials"),
    ("spike-t-max-text", (*SPIKE, "--t-max", "long"), "--t-max"),
    ("dale-n-inhibitory0", ("dale", "{net}", "--n-inhibitory", "0"), "--n-inhibitory"),
    ("dale-tau-inhibitory0", ("dale", "{net}", "--tau-inhibitory", "0"), "tau_inhibitory"),
    ("dale-at", ("dale", "{net}", "--at", "somewhere"), "--at"),
    ("check-at", ("check", "{net}", "--at", "somewhere"), "--at"),
    ("check-extra-argument", ("check", "{net}", "{net}"), "extra argument"),
    ("demo-out-is-file", ("demo", "--out", "{text_csv}"), "--out"),
    ("demo-seed-text", ("demo", "--seed", "x"), "--seed"),
    ("unknown-command", ("nonsense",), "nonsense"),
    ("unknown-global-option", ("--versio",), "--versio"),
]
CLI_IDS = [case[0] for case in CLI_CASES]
assert len(set(CLI_IDS)) == len(CLI_IDS), "duplicate case ids"


def _classify_cli(args: list[str], fragment: str, capsys) -> tuple[str, str]:
    try:
        code = main(args)
    except BaseException as error:  # noqa: BLE001 - a traceback is what the corpus counts
        capsys.readouterr()
        return "traceback", f"{type(error).__name__}: {error}"
    err = capsys.readouterr().err
    if code == 0:
        return "accepted", err
    lines = err.splitlines()
    named = fragment.lower() in err.lower() or ("brian2" in err and args[0] == "spike")
    numpy_repr = "np.float64(" in err or "np.int64(" in err  # a value shown as numpy's repr, not as typed
    if code != 2 or len(lines) != 1 or not lines[0].startswith("error: ") or not named or numpy_repr:
        return "unclear", f"exit {code}: {err!r} (should name {fragment!r})"
    return "clean", err


@pytest.mark.parametrize("case", CLI_CASES, ids=CLI_IDS)
def test_cli_bad_input(case, files, capsys):
    name, arguments, fragment = case
    paths = {key: str(path) for key, path in files.items()}
    args = [argument.format(**paths) for argument in arguments]
    outcome, detail = _classify_cli(args, fragment.format(**paths), capsys)
    OUTCOMES[f"cli:{name}"] = outcome
    assert outcome == "clean", detail


# --- the API table ------------------------------------------------------------------------------
# (id, call, the argument the message must name); call(ctx) gets the shared objects.


class Context:
    """The objects the API cases share (built once)."""

    def __init__(self, files: dict[str, Path]):
        self.files = files
        self.xi = aa.equal_overlap_patterns(N, 0.2)
        self.net = aa.load_network(files["net"])
        self.sigmoid = aa.Sigmoid(4.8, 0.2)
        self.cues = aa.make_cues(self.net, "delete", 0.4, seed=0)


def _design(ctx, **change):
    arguments = {"patterns": ctx.xi, "activation": ctx.sigmoid, "a": -0.3, "b": 0.95, **change}
    return aa.design(arguments.pop("patterns"), arguments.pop("activation"), arguments.pop("a"), arguments.pop("b"),
                     **arguments)


def _capacity(ctx, **change):
    arguments = {"n_units": 100, "loads": [0.02], "q": 0.2, "activation": ctx.sigmoid, "levels": (-0.3, 0.95),
                 "trials": 1, "seed": 0, "scheduler": "synchronous", **change}
    positional = [arguments.pop(key) for key in ("n_units", "loads", "q", "activation", "levels", "trials", "seed")]
    return aa.capacity(*positional, **arguments)


API_CASES = [
    ("design-patterns-complex", lambda c: _design(c, patterns=c.xi.astype(complex)), "patterns"),
    ("design-patterns-3d", lambda c: _design(c, patterns=np.zeros((2, 2, 2))), "patterns"),
    ("design-patterns-half", lambda c: _design(c, patterns=np.full((N, 3), 0.5)), "patterns"),
    ("design-patterns-empty", lambda c: _design(c, patterns=np.zeros((0, 3))), "patterns"),
    ("design-patterns-nan", lambda c: _design(c, patterns=np.full((N, 3), np.nan)), "patterns"),
    ("design-patterns-text", lambda c: _design(c, patterns="patterns"), "patterns"),
    ("design-activation-name", lambda c: _design(c, activation="sigmoid"), "activation"),
    ("design-a-above-b", lambda c: _design(c, a=1.0, b=0.5), "`a`"),
    ("design-a-nan", lambda c: _design(c, a=float("nan")), "`a`"),
    ("design-b-text", lambda c: _design(c, b="high"), "`b`"),
    ("design-q", lambda c: _design(c, q=1.5), "`q`"),
    ("design-r", lambda c: _design(c, r=-1.0), "`r`"),
    ("design-tau0", lambda c: _design(c, tau=0.0), "`tau`"),
    ("design-tau-text", lambda c: _design(c, tau="1"), "`tau`"),
    ("random-n0", lambda c: aa.random_patterns(0, 3, 0.2), "n_units"),
    ("random-n-float", lambda c: aa.random_patterns(1.5, 3, 0.2), "n_units"),
    ("random-p0", lambda c: aa.random_patterns(10, 0, 0.2), "n_patterns"),
    ("random-q0", lambda c: aa.random_patterns(10, 3, 0.0), "`q`"),
    ("random-q1", lambda c: aa.random_patterns(10, 3, 1.0), "`q`"),
    ("random-q-nan", lambda c: aa.random_patterns(10, 3, float("nan")), "`q`"),
    ("random-seed-neg", lambda c: aa.random_patterns(10, 3, 0.2, seed=-1), "seed"),
    ("random-seed-text", lambda c: aa.random_patterns(10, 3, 0.2, seed="x"), "seed"),
    ("random-huge", lambda c: aa.random_patterns(10**12, 5, 0.2), "n_units"),
    ("equal-overlap-n0", lambda c: aa.equal_overlap_patterns(0, 0.2), "n_units"),
    ("equal-overlap-q", lambda c: aa.equal_overlap_patterns(100, 1.5), "`q`"),
    ("correlated-r", lambda c: aa.correlated_patterns(100, 3, 0.2, 1.5), "`r`"),
    ("make-patterns-ensemble", lambda c: aa.make_patterns("letters", n_units=10, q=0.2), "ensemble"),
    ("make-patterns-eo-p", lambda c: aa.make_patterns("equal-overlap", n_units=100, q=0.2, n_patterns=-7),
     "n_patterns"),
    ("make-patterns-eo-r", lambda c: aa.make_patterns("equal-overlap", n_units=100, q=0.2, r=5), "`r`"),
    ("make-patterns-eo-seed", lambda c: aa.make_patterns("equal-overlap", n_units=100, q=0.2, seed=1), "seed"),
    ("make-patterns-random-r", lambda c: aa.make_patterns("random", n_units=100, q=0.2, r=0.3), "`r`"),
    ("sigmoid-rho", lambda c: aa.Sigmoid(rho=-1.0, threshold=0.2), "rho"),
    ("sigmoid-rho-nan", lambda c: aa.Sigmoid(rho=float("nan"), threshold=0.2), "rho"),
    ("sigmoid-threshold-inf", lambda c: aa.Sigmoid(rho=1.0, threshold=float("inf")), "threshold"),
    ("cues-kind", lambda c: aa.make_cues(c.net, "erase", 0.4), "kind"),
    ("cues-level", lambda c: aa.make_cues(c.net, "delete", 1.5), "level"),
    ("cues-trials0", lambda c: aa.make_cues(c.net, "delete", 0.4, trials=0), "trials"),
    ("cues-trials-huge", lambda c: aa.make_cues(c.net, "delete", 0.4, trials=10**9), "trials"),
    ("cues-memories", lambda c: aa.make_cues(c.net, "delete", 0.4, memories=[99]), "memories"),
    ("cues-network", lambda c: aa.make_cues("net", "delete", 0.4), "network"),
    ("retrieve-cues", lambda c: aa.retrieve(c.net, "cues"), "cues"),
    ("retrieve-t-max0", lambda c: aa.retrieve(c.net, c.cues, t_max=0.0), "t_max"),
    ("retrieve-t-max-huge", lambda c: aa.retrieve(c.net, c.cues, t_max=1e12), "t_max"),
    ("retrieve-dt0", lambda c: aa.retrieve(c.net, c.cues, dt=0.0), "dt"),
    ("retrieve-sigma", lambda c: aa.retrieve(c.net, c.cues, sigma=-1.0), "sigma"),
    ("retrieve-boundary", lambda c: aa.retrieve(c.net, c.cues, boundary="wrap"), "boundary"),
    ("retrieve-normalize", lambda c: aa.retrieve(c.net, c.cues, normalize="max"), "normalize"),
    ("retrieve-tol", lambda c: aa.retrieve(c.net, c.cues, tol=0.7), "tol"),
    ("retrieve-n-steps0", lambda c: aa.retrieve(c.net, c.cues, n_steps=0), "n_steps"),
    ("retrieve-both", lambda c: aa.retrieve(c.net, c.cues, t_max=1.0, n_steps=10), "n_steps"),
    ("retrieve-dtype", lambda c: aa.retrieve(c.net, c.cues, dtype=np.int8), "dtype"),
    ("retrieve-seed", lambda c: aa.retrieve(c.net, c.cues, seed=-1), "seed"),
    ("retrieve-record-every", lambda c: aa.retrieve(c.net, c.cues, record_every=0), "record_every"),
    ("save-network-net-text", lambda c: aa.save_network(c.files["dir"] / "x.npz", "net"), "network"),
    ("save-network-path-int", lambda c: aa.save_network(123, c.net), "path"),
    ("save-network-dir", lambda c: aa.save_network(c.files["dir"], c.net), "is a directory"),
    ("load-network-int", lambda c: aa.load_network(123), "path"),
    ("load-network-list-metadata", lambda c: aa.load_network(c.files["list_metadata"]), "list_metadata.npz"),
    ("load-network-n-units", lambda c: aa.load_network(c.files["n_units_edited"]), "n_units_edited.npz"),
    ("load-network-n-units-huge", lambda c: aa.load_network(c.files["n_units_huge"]), "n_units_huge.npz"),
    ("load-network-deep", lambda c: aa.load_network(c.files["deep_metadata"]), "deep_metadata.npz"),
    ("load-network-csv", lambda c: aa.load_network(c.files["text_csv"]), "text.csv"),
    ("load-patterns-complex", lambda c: aa.load_patterns(c.files["complex"]), "complex.npy"),
    ("load-patterns-empty-csv", lambda c: aa.load_patterns(c.files["empty_csv"]), "empty.csv"),
    ("load-patterns-words", lambda c: aa.load_patterns(c.files["words_csv"]), "words.csv"),
    ("load-patterns-txt", lambda c: aa.load_patterns(c.files["notes"]), "notes.txt"),
    ("capacity-n1", lambda c: _capacity(c, n_units=1), "`n`"),
    ("capacity-loads-empty", lambda c: _capacity(c, loads=[]), "loads"),
    ("capacity-loads-neg", lambda c: _capacity(c, loads=[-0.1]), "loads"),
    ("capacity-loads-50", lambda c: _capacity(c, loads=[50.0]), "loads"),
    ("capacity-q0", lambda c: _capacity(c, q=0.0), "`q`"),
    ("capacity-levels", lambda c: _capacity(c, levels=(1.0,)), "levels"),
    ("capacity-trials0", lambda c: _capacity(c, trials=0), "trials"),
    ("capacity-scheduler", lambda c: _capacity(c, scheduler="fast"), "scheduler"),
    ("capacity-checkpoint-int", lambda c: _capacity(c, checkpoint=5), "checkpoint"),
    ("capacity-checkpoint-no-seed", lambda c: _capacity(c, seed=None, checkpoint=c.files["dir"] / "c.nc"), "seed"),
    ("capacity-cue", lambda c: _capacity(c, cue="erase:0.2"), "cue"),
    ("capacity-activation", lambda c: _capacity(c, activation="sigmoid"), "activation"),
    ("phase-rho", lambda c: aa.phase_diagram(rho=[-1.0], threshold=[0.2]), "rho"),
    ("phase-patterns", lambda c: aa.phase_diagram(patterns="letters"), "patterns"),
    ("phase-eo-p", lambda c: aa.phase_diagram(rho=[1.0], threshold=[0.2], n_patterns=-7), "n_patterns"),
    ("local-stability-net", lambda c: aa.local_stability("net"), "network"),
    ("local-stability-at", lambda c: aa.local_stability(c.net, at="somewhere"), "at"),
    ("dale-n-inhibitory", lambda c: aa.dale_realization(c.net, n_inhibitory=0), "n_inhibitory"),
    ("dale-tau-inhibitory", lambda c: aa.dale_realization(c.net, tau_inhibitory=-1.0), "tau_inhibitory"),
    ("discretize-dt0", lambda c: aa.discretize(c.net, 0.0), "dt"),
    ("discretize-dt-nan", lambda c: aa.discretize(c.net, float("nan")), "dt"),
    ("euler-maruyama-x0", lambda c: aa.euler_maruyama(c.net, np.zeros(3), 0.01, 10, sigma=0.0), "x0"),
    ("euler-maruyama-dt", lambda c: aa.euler_maruyama(c.net, np.zeros(N), 0.0, 10, sigma=0.0), "dt"),
    ("simulate-t-span", lambda c: aa.simulate(c.net, np.zeros(N), (1.0, 0.0)), "t_span"),
    ("lyapunov-memory", lambda c: aa.lyapunov_certificate(c.net, 99), "mu"),
]
API_IDS = [case[0] for case in API_CASES]
assert len(set(API_IDS)) == len(API_IDS), "duplicate case ids"


@pytest.fixture(scope="module")
def context(files) -> Context:
    return Context(files)


@pytest.mark.parametrize("case", API_CASES, ids=API_IDS)
def test_api_bad_input(case, context):
    name, call, fragment = case
    try:
        call(context)
    except (ValueError, TypeError) as error:
        message = str(error)
        clear = fragment.lower() in message.lower() and "np.float64(" not in message and "np.int64(" not in message
        outcome = "clean" if clear else "unclear"
        detail = f"{type(error).__name__}: {error} (should name {fragment!r})"
    except Exception as error:  # noqa: BLE001 - anything else is a traceback
        outcome, detail = "traceback", f"{type(error).__name__}: {error}"
    else:
        outcome, detail = "accepted", "returned without an error"
    OUTCOMES[f"api:{name}"] = outcome
    assert outcome == "clean", detail


def test_the_corpus_is_large_enough():
    assert len(CLI_CASES) >= 150 and len({case[1][0] for case in CLI_CASES if case[1]}) >= 12
    assert len(API_CASES) >= 80


@pytest.mark.parametrize("kind", ["cli", "api"])
def test_corpus_summary(kind, capsys):
    """Prints the counts (run with -s to see them); requires every case of the run to be clean."""
    counts = Counter(outcome for key, outcome in OUTCOMES.items() if key.startswith(kind + ":"))
    total = len(CLI_CASES if kind == "cli" else API_CASES)
    with capsys.disabled():
        print(f"\nbad-input corpus ({kind}): {sum(counts.values())} of {total} cases run: {counts['clean']} clean "
              f"errors, {counts['traceback']} tracebacks, {counts['accepted']} silently accepted, "
              f"{counts['unclear']} unclear")
    if not counts:
        pytest.skip(f"no {kind} case ran in this session (deselected)")
    assert counts["traceback"] == counts["accepted"] == counts["unclear"] == 0


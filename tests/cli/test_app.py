"""assocrate.cli.app: the app, --help and --version, and how main maps outcomes to exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import assocrate.cli
import assocrate.io
from assocrate._version import __version__
from assocrate.cli import app, main
from assocrate.errors import FileFormatError, InvalidType

ROOT = Path(__file__).resolve().parents[2]


def test_help_and_runner():
    result = CliRunner().invoke(app, ["design", "--help"])
    assert result.exit_code == 0
    assert "--patterns" in result.output


def test_no_arguments_shows_help(cli):
    code, out, _ = cli()
    assert code == 0 and "Commands" in out and "--version" in out
    commands = ["design", "demo", "check", "dale", "phase", "certify", "verify", "retrieve", "spike", "capacity",
                "discretize", "graph"]
    listed = [line.split()[0] for line in out.split("Commands:")[1].splitlines() if line.strip()]
    assert listed == commands


def test_version(cli):
    assert cli("--version") == (0, f"assocrate {__version__}\n", "")


def test_the_console_script_and_python_m():
    assert assocrate.cli.main is main  # pyproject: assocrate = "assocrate.cli:main"
    done = subprocess.run([sys.executable, "-m", "assocrate.cli", "--version"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert (done.returncode, done.stdout) == (0, f"assocrate {__version__}\n"), done.stderr


def test_the_command_line_starts_without_the_heavy_libraries():
    """``assocrate --help`` must stay quick: each command imports what it needs when it runs."""
    script = "import sys, assocrate.cli; print(sorted({'cvxpy', 'dask', 'matplotlib', 'xarray'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert (done.returncode, done.stdout) == (0, "[]\n"), done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["design", "--q", "1.5"], "`q` must be in (0, 1); got 1.5"),
        (["design", "--a", "1", "--b", "0.5"], "`a` must be < `b`; got a=1.0, b=0.5"),
        (["design", "--n", "abc"], "'--n'"),
        (["design", "--patterns", "letters"], "'--patterns': 'letters' is not one of"),
        (["design", "--patterns", "correlated"], "'--r'"),
        (["design", "--activation", "relu"], "'--activation'"),
        (["design", "--activation", "tanh", "--threshold", "0.75", "--b", "0.7"], "phi(b) > phi(a)"),
        (["design", "--patterns", "missing.npy"], "missing.npy: no such file"),
        (["design", "--rho", "-1"], "`rho` must be > 0; got -1.0"),
        (["design", "--tau", "0"], "`tau` must be > 0; got 0.0"),
        (["nonsense"], "No such command"),
        (["design", "--out", "no-such-directory/net.npz"], "no-such-directory' does not exist"),
        (["design", "--a", "-1e308", "--b", "1e308"], "non-finite design parameters"),
        (["retrieve", "missing.npz"], "missing.npz"),
        (["--versio"], "No such option"),
    ],
)
def test_errors_are_one_line_exit_2(cli, args, message):
    code, out, err = cli(*args)
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert message in err
    assert "Traceback" not in err


# Every command loads its network with assocrate.io.load_network: replacing it reaches them all.
NETWORK_COMMANDS = [["check", "net.npz"], ["dale", "net.npz"], ["certify", "net.npz"], ["retrieve", "net.npz"],
                    ["verify", "cert.json", "net.npz"]]


def _raising(error: BaseException):
    def replacement(*args, **kwargs):
        raise error

    return replacement


@pytest.mark.parametrize("args", NETWORK_COMMANDS, ids=lambda args: args[0])
@pytest.mark.parametrize("bug", [ValueError("internal bug"), KeyError("internal bug"), TypeError("internal bug")],
                         ids=lambda bug: type(bug).__name__)
def test_a_bug_is_not_reported_as_invalid_input(tmp_path, monkeypatch, capsys, args, bug):
    """A plain ValueError/TypeError/KeyError from the library is a bug: it propagates, not 'error: ...', exit 2."""
    monkeypatch.chdir(tmp_path)
    if args[0] == "verify":  # it reads the certificate before the network
        monkeypatch.setattr("assocrate.certify.serialize.load_certificate", lambda path: object())
    monkeypatch.setattr(assocrate.io, "load_network", _raising(bug))
    with pytest.raises(type(bug), match="internal bug"):
        main(args)
    assert "error:" not in capsys.readouterr().err


def test_a_bug_in_design_propagates(monkeypatch):
    monkeypatch.setattr("assocrate.cli.options.design", _raising(ValueError("internal bug")))
    with pytest.raises(ValueError, match="internal bug"):
        main(["design"])


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (FileFormatError("net.npz: not an assocrate network file"), "error: net.npz: not an assocrate network file"),
        (InvalidType("`network` must be a MemoryNetwork; got list"), "error: `network` must be a MemoryNetwork"),
        (PermissionError(13, "Permission denied", "net.npz"), "Permission denied"),
        (MemoryError(), "error: not enough memory for this problem size; reduce --n or --p"),
    ],
    ids=["FileFormatError", "InvalidType", "OSError", "MemoryError"],
)
def test_user_errors_and_resources_are_one_line_exit_2(monkeypatch, cli, error, message):
    monkeypatch.setattr(assocrate.io, "load_network", _raising(error))
    code, out, err = cli("check", "net.npz")
    assert (code, out) == (2, "")
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err

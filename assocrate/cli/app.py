"""The ``assocrate`` command line: the typer app, its commands in order, and :func:`main`.

The ``demo`` command is defined here, beside the app: its engine (:mod:`assocrate.cli.demo`) loads
every subpackage, so it is imported only when the demo runs, and ``assocrate --help`` stays quick.

:func:`main` maps outcomes to exit codes: 0 success, 1 a negative verdict where a command says
so, 2 invalid input (:class:`assocrate.errors.InvalidInput`, a usage error, an unreadable or
unwritable file, not enough memory), printed as one ``error: ...`` line. Any other exception is
a bug and propagates with its traceback.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.exceptions import TyperException

from .._version import __version__
from ..errors import InvalidInput
from .certify import certify_command, verify_command
from .design import check_command, dale_command, design_command
from .options import SeedOption, progress_bar
from .realize import discretize_command, graph_command
from .retrieve import retrieve_command
from .spike import spike_command
from .sweeps import capacity_command, phase_command

__all__ = ["app", "main"]

app = typer.Typer(
    name="assocrate",
    help="Design, verify and retrieve associative memories in positive firing-rate networks.",
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def demo_command(
    out: Annotated[Path, typer.Option("--out", help="Directory for report.md and figures.")] = Path("assocrate-demo"),
    seed: SeedOption = 0,
) -> None:
    """Design, verify and retrieve the reference networks; write report.md and figures to --out."""
    from .demo import run_demo

    with progress_bar("starting", "steps") as show:
        result = run_demo(out, seed=seed, progress=lambda step, done, total: show(done, total, step))
    typer.echo(result.summary())


#: The commands, in the order ``assocrate --help`` lists them.
COMMANDS = (
    ("design", design_command),
    ("demo", demo_command),
    ("check", check_command),
    ("dale", dale_command),
    ("phase", phase_command),
    ("certify", certify_command),
    ("verify", verify_command),
    ("retrieve", retrieve_command),
    ("spike", spike_command),
    ("capacity", capacity_command),
    ("discretize", discretize_command),
    ("graph", graph_command),
)
for _name, _command in COMMANDS:
    app.command(_name)(_command)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"assocrate {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        Optional[bool],
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = None,
) -> None:
    # The options of ``assocrate`` itself (before the command); the app's help is the Typer's.
    pass


def _one_line(message: str) -> str:
    return " ".join(message.split())


def _error(message: str) -> int:
    print(f"error: {_one_line(message)}", file=sys.stderr)
    return 2


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
    print(f"warning: {_one_line(str(message))}", file=sys.stderr)


def main(args: list[str] | None = None) -> int:
    """Run the command line; return (and, as a script, exit with) the exit code.

    Parameters
    ----------
    args : list of str, optional
        The arguments after the program name (default ``sys.argv[1:]``); none shows the help.

    Returns
    -------
    int
        0 success, 1 a negative verdict where a command says so, 2 invalid input.

    Raises
    ------
    Exception
        Anything that is not invalid input: a bug shows as a bug, with its traceback.
    """
    command = typer.main.get_command(app)
    args = sys.argv[1:] if args is None else list(args)
    if not args:
        args = ["--help"]
    with warnings.catch_warnings():
        # The command line is the top level: warnings are shown as one line on stderr.
        warnings.simplefilter("default")
        warnings.showwarning = _show_warning
        try:
            result = command.main(args=args, prog_name="assocrate", standalone_mode=False)
        except TyperException as error:  # usage errors: unknown option, unparsable or invalid value
            return _error(error.format_message() if hasattr(error, "format_message") else str(error))
        except typer.Abort:
            return _error("aborted")
        except InvalidInput as error:  # assocrate's own user errors (InvalidType included); a bug shows as a bug
            return _error(str(error))
        except OSError as error:  # e.g. an output directory that does not exist, a full disk
            return _error(str(error))
        except MemoryError:
            return _error("not enough memory for this problem size; reduce --n or --p")
    return result if isinstance(result, int) else 0

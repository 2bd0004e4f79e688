"""Helpers of the documentation build (not part of the package).

- :func:`write_cli_reference`: the command-line reference as Markdown, generated from the typer
  app with typer's own documentation generator (``typer assocrate.cli.app utils docs``).
- :func:`figure_scraper`: sphinx-gallery scraper for the :class:`matplotlib.figure.Figure` objects
  that :mod:`assocrate.plots` returns. Those figures are never registered with pyplot, so the
  default matplotlib scraper does not see them; this one embeds every new ``Figure`` bound to a
  name in the example's globals, in the order they were made.
"""

from __future__ import annotations

import re
from pathlib import Path

from matplotlib.figure import Figure

_SEEN: set[int] = set()


def write_cli_reference(path: Path) -> Path:
    """Write the Markdown reference of every ``assocrate`` command to `path` (only if it changed)."""
    import typer
    import typer.cli

    from assocrate.cli.app import app

    command = typer.main.get_command(app)
    with typer.Context(command) as ctx:
        text = typer.cli.get_docs_for_click(obj=command, ctx=ctx, name="assocrate")
    # Usage lines name arguments as {network_file}; write them as the help does (NETWORK_FILE).
    text = re.sub(r"^(\$ assocrate .*)$", lambda m: re.sub(r"\{(\w+)\}", lambda a: a.group(1).upper(), m.group(1)),
                  text, flags=re.M)
    text = text.strip() + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


def figure_scraper(block, block_vars, gallery_conf, **kwargs):
    """Save the figures created by this code block and return their reST."""
    from sphinx_gallery.scrapers import figure_rst

    figures = [value for value in block_vars["example_globals"].values()
               if isinstance(value, Figure) and id(value) not in _SEEN]
    paths = []
    for figure, path in zip(figures, block_vars["image_path_iterator"]):
        _SEEN.add(id(figure))
        figure.savefig(path, dpi=110, bbox_inches="tight")
        paths.append(path)
    return figure_rst(paths, gallery_conf["src_dir"])


#: Command-line arguments of the gallery scripts that take some (sphinx-gallery's ``reset_argv``):
#: the build writes no files into examples/ and keeps each script short.
EXAMPLE_ARGS = {"digits.py": ["--figure", "", "--trials", "20"]}


def example_argv(gallery_conf, script_vars) -> list[str]:
    """The arguments a gallery script is run with (none unless listed in `EXAMPLE_ARGS`)."""
    return list(EXAMPLE_ARGS.get(Path(script_vars["src_file"]).name, []))


def reset_seen(gallery_conf, fname, when=None):
    """Forget the figures of the previous example (a ``reset_modules`` hook)."""
    _SEEN.clear()

"""Helpers of the documentation build (not part of the package).

- :data:`command`: the click command behind the typer app, for sphinx-click's ``.. click::``.
- :func:`figure_scraper`: sphinx-gallery scraper for the :class:`matplotlib.figure.Figure` objects
  that :mod:`assocrate.plots` returns. Those figures are never registered with pyplot, so the
  default matplotlib scraper does not see them; this one embeds every new ``Figure`` bound to a
  name in the example's globals, in the order they were made.
"""

from __future__ import annotations

import typer
from matplotlib.figure import Figure

from assocrate.cli.app import app

#: The ``assocrate`` command as click sees it (sphinx-click documents click commands).
command = typer.main.get_command(app)

_SEEN: set[int] = set()


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


def reset_seen(gallery_conf, fname, when=None):
    """Forget the figures of the previous example (a ``reset_modules`` hook)."""
    _SEEN.clear()

"""Sphinx configuration of the assocrate documentation.

Build (warnings are errors, the gallery scripts in examples/ run during the build)::

    python -m pip install -e '.[docs]'
    python -m sphinx -W -b html docs docs/_build/html
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("MPLBACKEND", "Agg")

from assocrate_docs import write_cli_reference  # noqa: E402

import assocrate  # noqa: E402

# The CLI reference (cli.md includes it), generated from the typer app at every build.
write_cli_reference(HERE / "_generated" / "cli_reference.md")

project = "assocrate"
author = "assocrate developers"
copyright = "assocrate developers"
release = assocrate.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_ext", "_generated", "**.ipynb_checkpoints", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.json", "auto_examples/*.md5"]
templates_path = ["_templates"]

# Code blocks without a language (the formulas of theory.md) are shown as plain text.
highlight_language = "none"

# -- API reference ---------------------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_typehints = "none"  # the numpydoc Parameters sections carry the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()

# -- Markdown ---------------------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

# -- Gallery ----------------------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(HERE.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r".*\.py$",  # run every example at build time
    "image_scrapers": ("assocrate_docs.figure_scraper",),
    "reset_modules": ("matplotlib", "assocrate_docs.reset_seen"),
    "reset_argv": "assocrate_docs.example_argv",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "show_memory": False,
    "plot_gallery": "True",
}

# -- HTML -------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
smartquotes = False  # keep "--option" as typed (no en dashes) in the CLI reference and everywhere
html_title = f"assocrate {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_sidebars = {"**": ["sidebar-nav-bs"]}
html_static_path: list[str] = []

"""``python -m assocrate.cli``: the ``assocrate`` command."""

import sys

from .app import main

sys.exit(main())

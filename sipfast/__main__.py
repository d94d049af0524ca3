"""``python -m sipfast``: the same as the ``sipfast`` command."""

import sys

from .cli import main

sys.exit(main())

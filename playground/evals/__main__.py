"""``python -m playground.evals run SPEC.toml [...]``: see :mod:`playground.evals.cli`."""

import sys

from .cli import main

sys.exit(main())

"""``python -m evidencekg``: the same as the ``evidencekg`` command."""

import sys

from .cli import main

sys.exit(main())

"""``python -m gamboge.cli``: the ``gamboge`` command."""

import sys

from gamboge.cli.main import main

sys.exit(main())

"""``python -m multilevel``: the command line of :mod:`multilevel.cli`."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())

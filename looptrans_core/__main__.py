"""Entry point of `python -m looptrans_core`."""
import sys

from looptrans_core.cli import main

sys.exit(main())

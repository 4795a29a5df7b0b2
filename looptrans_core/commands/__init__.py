"""Subcommands of `python -m looptrans_core`; see looptrans_core.cli."""

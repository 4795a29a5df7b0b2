"""`python -m looptrans_core COMMAND ...`: one subcommand per module in looptrans_core.commands.

A command module defines `COMMAND` (its name), `HELP` (one line), `add_arguments(parser)` and
`run(args) -> int`. Modules are discovered, so adding a command touches no other file.
"""
import argparse
import importlib
import pkgutil
import sys
from typing import List, Optional

from looptrans_core import commands
from looptrans_core.checkpoints import message_line


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every discovered command."""
    parser = argparse.ArgumentParser(prog='python -m looptrans_core',
                                     description='LoopTrans affordance grounding.')
    subparsers = parser.add_subparsers(dest='command', metavar='COMMAND', required=True)
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        module = importlib.import_module(f'{commands.__name__}.{info.name}')
        sub = subparsers.add_parser(module.COMMAND, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Parse `argv` and run the chosen command.

    Bad input (ValueError, including CheckpointError; TypeError; OSError) prints one line
    `error: ...` and returns 2, as argparse does for bad arguments; other exceptions are bugs
    and keep their traceback.
    """
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, TypeError, OSError) as error:
        print(f'error: {message_line(error)}', file=sys.stderr)
        return 2

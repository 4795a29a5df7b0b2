"""The command line of the training commands: `--config`, `key=value` overrides, named flags.

`train`, `train-cluster` and `pretrain-backbone` take the same three things: a YAML file, then
named flags (each is shorthand for one override, e.g. `--epochs 3` for `epochs=3`), then
`--set KEY=VALUE` / positional `KEY=VALUE` overrides; `load_config` resolves them all, so a
config field is only ever set by its name.
"""
import argparse
from dataclasses import dataclass
import json
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

from looptrans_core.affordances import DIVIDES
from looptrans_core.cli_args import DEVICE_HELP


@dataclass(frozen=True)
class Flag:
    """A flag that is shorthand for the override `key=VALUE`."""

    key: str  # config key, e.g. 'epochs' or 'data.root'
    parse: Callable[[str], Any] = str  # turns the flag's text into the value
    choices: Optional[Sequence[str]] = None  # accepted values, if limited
    meaning: str = ''  # what the value means, for --help


def optional_path(text: str) -> Optional[str]:
    """Return the path `text`, or None for 'none'."""
    return None if text == 'none' else text


RUN_FLAGS = {
    '--data-root': Flag('data_root', meaning='AGD20K-format root'),
    '--divide': Flag('divide', choices=sorted(DIVIDES)),
    '--epochs': Flag('epochs', int),
    '--batch-size': Flag('batch_size', int),
    '--lr': Flag('lr', float),
    '--seed': Flag('seed', int),
    '--device': Flag('device', meaning=DEVICE_HELP),
}
"""The flags of `train-cluster` and `pretrain-backbone`, whose configs are flat."""


def add_config_arguments(parser: argparse.ArgumentParser, flags: Dict[str, Flag],
                         example: str) -> None:
    """Add `--config`, the named `flags`, `--set KEY=VALUE` and positional overrides."""
    parser.add_argument('--config', type=Path, help=f'YAML config (default: built-in), e.g. '
                        f'{example}')
    for name, flag in flags.items():
        text = f'{flag.meaning}; ' if flag.meaning else ''
        parser.add_argument(name, dest=_dest(flag), type=flag.parse, choices=flag.choices,
                            metavar=None if flag.choices else 'VALUE',
                            default=argparse.SUPPRESS, help=f'{text}same as {flag.key}=VALUE')
    parser.add_argument('--set', dest='settings', action='append', default=[],
                        metavar='KEY=VALUE', help='override a config value, e.g. epochs=2')
    parser.add_argument('overrides', nargs='*', metavar='KEY=VALUE', help='more overrides')


def config_overrides(args: argparse.Namespace, flags: Dict[str, Flag]) -> List[str]:
    """Return the given flags as overrides (JSON, which YAML reads as given), then the rest."""
    given = vars(args)
    named = [f'{flag.key}={json.dumps(given[_dest(flag)])}' for flag in flags.values()
             if _dest(flag) in given]
    return [*named, *args.settings, *args.overrides]


def _dest(flag: Flag) -> str:
    return f'flag:{flag.key}'

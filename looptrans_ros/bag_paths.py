"""Where the bag tool reads and writes: the input bag's folder, and an output that appears whole.

The output is written to a temporary sibling folder and renamed only once complete, so a failed
run leaves nothing behind and a rerun does not stumble over a half-written bag.
"""
from contextlib import contextmanager
import os
from pathlib import Path
import shutil
from typing import Iterator

BAG_FILE_SUFFIXES = ('.mcap', '.db3')


def bag_folder(path: Path) -> Path:
    """Return the rosbag2 folder `path` names: itself, or the folder of its `.mcap` / `.db3`."""
    if path.is_file() and path.suffix in BAG_FILE_SUFFIXES:
        path = path.parent
    if not path.is_dir():
        raise ValueError(f'input bag {path} does not exist or is not a rosbag2 folder')
    if not (path / 'metadata.yaml').is_file():
        raise ValueError(f'input {path} has no metadata.yaml: pass the rosbag2 folder that '
                         '`ros2 bag record` wrote')
    return path


def check_output(input_bag: Path, output: Path, overwrite: bool) -> None:
    """Refuse an output that is the input, inside it, or exists (unless `overwrite`)."""
    source, target = input_bag.resolve(), output.resolve()
    if target == source or source in target.parents:
        raise ValueError(f'output {output} is the input bag or inside it; choose a new folder')
    if target.exists() and not overwrite:
        raise ValueError(f'output {output} exists already; remove it or pass --overwrite')


@contextmanager
def atomic_output(output: Path, overwrite: bool) -> Iterator[Path]:
    """Yield a temporary sibling of `output` to write; on success it replaces `output`."""
    partial = output.with_name(f'.{output.name}.partial-{os.getpid()}')
    shutil.rmtree(partial, ignore_errors=True)
    try:
        yield partial
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if overwrite and output.exists():
        shutil.rmtree(output)
    partial.rename(output)

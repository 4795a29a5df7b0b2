"""Writing a benchmark's results."""
import json
from pathlib import Path
from typing import Optional


def write_json(path: Optional[Path], results: dict) -> None:
    """Write `results` as indented JSON to `path` (parents created); None writes nothing."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2))

"""Reading the gettext catalogues in tests: what Babel extracts from the sources with a
mapping file, and a .po/.pot file as a catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po


def extracted(mapping: Path, root: Path, **options: Any) -> dict[str, list[str]]:
    """msgid → where it is used, as `pybabel extract -F MAPPING ROOT` finds them (options:
    e.g. `keywords={}` for a mapping that names its own keywords)."""
    with mapping.open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(root), method_map, options_map, **options
    ):
        ids = message if isinstance(message, tuple) else (message,)
        for msgid in ids:
            if msgid:
                found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


def catalogue(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f)

"""YAML loading that remembers where every key came from, so errors can name file, line and key."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


class YamlSyntaxError(ValueError):
    """The file is not valid YAML (or repeats a key); `line` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass
class Positions:
    """Maps a path of keys/indexes (("sources", 0, "url")) to the 1-based line it was written on."""

    lines: dict[Path_, int] = field(default_factory=dict)

    def line_for(self, path: Path_) -> int | None:
        """The line of the path, or of its nearest ancestor that was written in the file."""
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path[:-1]


def _build(node: yaml.Node, path: Path_, positions: Positions) -> Any:
    positions.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _build(key_node, (*path, "<key>"), Positions())
            if key in result:
                line = key_node.start_mark.line + 1
                raise YamlSyntaxError(f"line {line}: key {key!r} appears twice", line)
            child = (*path, key)
            positions.lines[child] = key_node.start_mark.line + 1
            result[key] = _build(value_node, child, positions)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, index), positions) for index, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def load_with_positions(text: str, filename: str | Path = "<string>") -> tuple[Any, Positions]:
    """Parse YAML text into plain Python data plus the line of every key."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{filename}:{mark.line + 1}:{mark.column + 1}" if mark else str(filename)
        raise YamlSyntaxError(
            f"{where}: invalid YAML: {exc.problem}", mark.line + 1 if mark else None
        ) from None
    positions = Positions()
    if node is None:
        return {}, positions
    return _build(node, (), positions), positions

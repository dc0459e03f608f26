"""YAML loading that remembers where every key came from, so errors can name file, line and key.

Hostile files get a YamlSyntaxError with a line, never a traceback: control characters, nesting
deeper than any config needs, aliases that refer to themselves or expand without bound (a "billion
laughs" bomb), keys that are lists or mappings, tags SafeLoader cannot build, unpaired surrogates.
Merge keys (``<<: *defaults``) work as in YAML 1.1: keys written beside them win.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]

MAX_DEPTH = 64  # a poalign.yaml nests about 6 levels
MAX_ALIASED = 10_000  # values reached again through aliases; a "billion laughs" bomb needs millions
_MERGE_TAG = "tag:yaml.org,2002:merge"
_PLAIN_COLLECTION_TAGS = frozenset({yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, "tag:yaml.org,2002:seq"})


class YamlSyntaxError(ValueError):
    """The file is not valid YAML (or repeats a key); `line` is 1-based when known, `path` the keys
    leading to the problem when known."""

    def __init__(self, message: str, line: int | None = None, path: Path_ = ()) -> None:
        super().__init__(message)
        self.line = line
        self.path = path


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


@dataclass
class _Builder:
    filename: str
    positions: Positions
    seen: set[int] = field(default_factory=set)
    aliased: int = 0
    active: set[int] = field(default_factory=set)

    def fail(self, node: yaml.Node, message: str, path: Path_) -> YamlSyntaxError:
        line = node.start_mark.line + 1
        return YamlSyntaxError(f"{self.filename}:{line}: {message}", line, path)

    def build(self, node: yaml.Node, path: Path_, record: bool = True) -> Any:
        if id(node) in self.seen:
            self.aliased += 1
            if self.aliased > MAX_ALIASED:
                raise self.fail(
                    node, f"aliases expand to more than {MAX_ALIASED} values (an alias bomb?)", path
                )
        else:
            self.seen.add(id(node))
        if record:
            self.positions.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        if node.tag not in _PLAIN_COLLECTION_TAGS:
            raise self.fail(node, f"tag {node.tag!r} is not supported (plain mappings and lists only)", path)
        if id(node) in self.active:
            raise self.fail(node, "an alias refers to the mapping or list that contains it", path)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self.mapping(node, path, record)
            return [self.build(item, (*path, index), record) for index, item in enumerate(node.value)]
        finally:
            self.active.discard(id(node))

    def key(self, key_node: yaml.Node, path: Path_) -> Any:
        if not isinstance(key_node, yaml.ScalarNode):
            raise self.fail(key_node, "a key must be a plain value, not a list or a mapping", path)
        return self.scalar(key_node, path)

    def mapping(self, node: yaml.MappingNode, path: Path_, record: bool) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        merged: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                # YAML 1.1 merge: the first source that has a key wins; keys written here win over all.
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for source in sources:
                    if not isinstance(source, yaml.MappingNode):
                        raise self.fail(
                            value_node, "'<<' merges mappings only (an alias to one, or a list of them)", path
                        )
                    for key, value in self.build(source, path, record=False).items():
                        merged.setdefault(key, value)
                continue
            key = self.key(key_node, path)
            if key in result:
                raise self.fail(key_node, f"key {key!r} appears twice", (*path, str(key)))
            child = (*path, key)
            if record:
                self.positions.lines[child] = key_node.start_mark.line + 1
            result[key] = self.build(value_node, child, record)
        if merged:
            result = {**{k: v for k, v in merged.items() if k not in result}, **result}
        return result

    def scalar(self, node: yaml.Node, path: Path_) -> Any:
        loader = yaml.SafeLoader("")
        try:
            value = loader.construct_object(node, deep=True)
        except yaml.YAMLError as error:
            problem = getattr(error, "problem", None) or str(error).splitlines()[0]
            raise self.fail(node, f"cannot read this value: {problem}", path) from None
        finally:
            loader.dispose()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise self.fail(
                    node, "the text holds an unpaired surrogate escape (not a character)", path
                ) from None
        return value


class _Walk:
    """Follows the parser's events and knows which key is being read (for errors without a node),
    refusing nesting deeper than MAX_DEPTH before the (recursive) composer sees it, and aliases to
    anchors that were never defined."""

    def __init__(self) -> None:
        self.frames: list[list[Any]] = []  # [is_mapping, key or index, expecting a key]
        self.anchors: set[str] = set()

    @property
    def path(self) -> Path_:
        return tuple(frame[1] for frame in self.frames if frame[1] is not None)

    def _value_done(self) -> None:
        if self.frames:
            top = self.frames[-1]
            if top[0]:
                top[2] = True
            else:
                top[1] += 1

    def feed(self, event: yaml.Event, filename: str | Path) -> None:
        anchor = getattr(event, "anchor", None)
        if isinstance(event, yaml.AliasEvent):
            if anchor not in self.anchors:
                line = _line(event)
                raise YamlSyntaxError(
                    f"{filename}:{line}: alias *{anchor} names no anchor defined above it", line, self.path
                )
        elif anchor:
            self.anchors.add(anchor)
        top = self.frames[-1] if self.frames else None
        if isinstance(event, yaml.ScalarEvent | yaml.AliasEvent):
            if top is not None and top[0] and top[2]:
                top[1], top[2] = event.value if isinstance(event, yaml.ScalarEvent) else f"*{anchor}", False
            else:
                self._value_done()
        elif isinstance(event, yaml.CollectionStartEvent):
            if top is not None and top[0] and top[2]:
                top[1], top[2] = "?", False  # a complex key: refused when the document is built
            self.frames.append([isinstance(event, yaml.MappingStartEvent), None, True])
            if not self.frames[-1][0]:
                self.frames[-1][1] = 0
            if len(self.frames) > MAX_DEPTH:
                line = _line(event)
                raise YamlSyntaxError(
                    f"{filename}:{line}: nested more than {MAX_DEPTH} levels deep", line, self.path[:4]
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            self.frames.pop()
            self._value_done()


def _line(event: yaml.Event) -> int:
    """1-based line of `event`. The parser marks every event it emits; the stubs allow a mark of None."""
    return event.start_mark.line + 1 if event.start_mark is not None else 0


def _walk(text: str, filename: str | Path, until: int | None = None) -> _Walk:
    """Walk the events of `text` (up to character index `until`); YAML errors propagate with the
    walker's path attached as `error.poalign_path`."""
    walk = _Walk()
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if until is not None and event.start_mark is not None and event.start_mark.index >= until:
                break
            walk.feed(event, filename)
    except yaml.YAMLError as error:
        error.poalign_path = walk.path  # type: ignore[attr-defined]  # PyYAML's errors declare no such field
        raise
    return walk


_UNPRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def path_at(text: str, index: int) -> Path_:
    """The key being read at character `index` of `text` (its unprintable characters blanked out)."""
    text = _UNPRINTABLE.sub(" ", text)
    try:
        return _walk(text, "", until=index).path
    except yaml.YAMLError as error:
        return tuple(getattr(error, "poalign_path", ()))
    except YamlSyntaxError as error:
        return error.path


def _syntax_error(error: yaml.YAMLError, text: str, filename: str | Path) -> YamlSyntaxError:
    path = tuple(getattr(error, "poalign_path", ()))
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        where = f"{filename}:{mark.line + 1}:{mark.column + 1}" if mark else str(filename)
        problem = error.problem or error.context or "not valid YAML"
        return YamlSyntaxError(f"{where}: invalid YAML: {problem}", mark.line + 1 if mark else None, path)
    if isinstance(error, yaml.reader.ReaderError):
        line = text.count("\n", 0, error.position) + 1
        column = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
        return YamlSyntaxError(
            f"{filename}:{line}:{column}: invalid YAML: character U+{error.character:04X} is not allowed "
            "(a control character: is this a text file?)",
            line,
            path_at(text, error.position),
        )
    return YamlSyntaxError(f"{filename}: invalid YAML: {error}", None, path)


def load_with_positions(text: str, filename: str | Path = "<string>") -> tuple[Any, Positions]:
    """Parse YAML text into plain Python data plus the line of every key."""
    try:
        _walk(text, filename)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        raise _syntax_error(error, text, filename) from None
    positions = Positions()
    if node is None:
        return {}, positions
    return _Builder(str(filename), positions).build(node, ()), positions

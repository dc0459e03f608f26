"""Paths into a config document (keys and list indexes): what the schema expects at one, and the line
PyYAML writes it on. Both are worked out independently of the loader under test."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from typing import Any

import yaml
from pydantic import BaseModel

from service.config.schema import Config

ConfigPath = tuple[str | int, ...]


def dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False, width=4096)


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0] if len(args) == 1 else annotation
            if len(args) != 1:
                return annotation
        else:
            return annotation


def schema_at(path: ConfigPath) -> Any:
    """The (unwrapped) annotation the schema has for a path of keys and indexes."""
    annotation: Any = Config
    for part in path:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            annotation = annotation.model_fields[str(part)].annotation
        elif typing.get_origin(annotation) is list:
            annotation = typing.get_args(annotation)[0]
        elif typing.get_origin(annotation) is dict:
            annotation = typing.get_args(annotation)[1]
        else:
            raise KeyError(path)
    return _unwrap(annotation)


def is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def has_upper_bound(path: ConfigPath) -> bool:
    parent = schema_at(path[:-1])
    metadata = parent.model_fields[str(path[-1])].metadata if is_model(parent) else []
    return any(hasattr(m, "le") or hasattr(m, "lt") for m in metadata)


def leaves(value: Any, path: ConfigPath = ()) -> Iterator[tuple[ConfigPath, Any]]:
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, (*path, index))


def get(data: Any, path: ConfigPath) -> Any:
    for part in path:
        data = data[part]
    return data


def put(data: Any, path: ConfigPath, value: Any) -> None:
    get(data, path[:-1])[path[-1]] = value


def line_of(text: str, path: ConfigPath) -> int:
    """The 1-based line where `path` is written, from PyYAML's node marks (the nearest written
    ancestor when the path itself is missing)."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    line = 1
    for part in path:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == part), None)
            if match is None:
                return line
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def dotted(path: ConfigPath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text

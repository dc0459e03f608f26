"""Read poalign.yaml: validate it, and report every problem with file, line, key and what is expected."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from pydantic import ValidationError

from connectors.registry import tracker
from service.config.auth_keys import scheme_key_problems
from service.config.schema import Config
from service.config.secret_shape import looks_like_secret
from service.config.yamlpos import Positions, YamlSyntaxError, load_with_positions, path_at

DEFAULT_CONFIG = "poalign.yaml"
MAX_CONFIG_BYTES = 4 * 1024 * 1024  # a config with hundreds of teams is well under 1 MB
# Keys that hold secrets when written inline. Their *_env siblings are the accepted form.
_SECRET_KEY = re.compile(r"(^|_)(token|password|passwd|secret|api_?key|pat|private_key)$", re.IGNORECASE)


@dataclass(frozen=True)
class ConfigProblem:
    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key or '(top level)'}: {self.message}"


class ConfigError(Exception):
    """The config cannot be used. `problems` lists every issue found, each with its line and key."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass(frozen=True)
class LoadedConfig:
    config: Config
    path: Path
    positions: Positions = field(repr=False)

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def database_url(self) -> str:
        """The database URL, with relative SQLite paths resolved (beside the config file by default)."""
        database = self.config.database
        if database.url_env:
            url = env(database.url_env, self.base_dir)
            if not url:
                raise ConfigError(self.unset_variables([("database", "url_env")]))
        else:
            url = database.url or "sqlite:///poalign.db"
        # Relative SQLite paths resolve in POALIGN_DATA_DIR when it is set (the image's /data volume: the
        # config may be mounted read-only), else beside the config.
        data_dir = env("POALIGN_DATA_DIR", self.base_dir)
        return resolve_sqlite_path(url, Path(data_dir) if data_dir else self.base_dir)

    def secret(self, env_name: str | None) -> str | None:
        return env(env_name, self.base_dir) if env_name else None

    def unset_variables(self, keys: Iterable[tuple[str | int, ...]]) -> list[ConfigProblem]:
        """A problem (file, line, key) for each of these `*_env` keys whose variable is not set."""
        dumped = self.config.model_dump()
        problems = []
        for key in keys:
            name = _value_at(dumped, key)
            if isinstance(name, str) and not env(name, self.base_dir):
                problems.append(
                    ConfigProblem(
                        str(self.path),
                        self.positions.line_for(key),
                        _dotted(key),
                        f"environment variable {name} is not set (nor in {self.base_dir / '.env'})",
                    )
                )
        return problems

    def credential_keys(self, source: str) -> list[tuple[str | int, ...]]:
        """The `*_env` keys a source's tracker client needs (its token, and its user where configured)."""
        index = [s.name for s in self.config.sources].index(source)
        auth = self.config.sources[index].auth
        names = ("token_env", "user_env", "client_secret_env") + (
            ("token_key_env",) if auth.scheme == "oauth" else ()
        )
        return [("sources", index, "auth", name) for name in names if getattr(auth, name)]

    def secret_env_names(self) -> list[str]:
        """Every environment variable the config names: their values must never be logged."""
        dumped = self.config.model_dump()
        return sorted({_value_at(dumped, key) for key in self.variable_keys()})

    def variable_keys(self) -> list[tuple[str | int, ...]]:
        """The path of every `*_env` key that names a variable (defaults included)."""
        keys: list[tuple[str | int, ...]] = []

        def walk(value: Any, path: tuple[str | int, ...]) -> None:
            if isinstance(value, dict):
                for key, item in value.items():
                    if key == "token_key_env" and value.get("scheme") != "oauth":
                        continue  # a default only the oauth scheme reads
                    if isinstance(key, str) and key.endswith("_env") and isinstance(item, str):
                        keys.append((*path, key))
                    else:
                        walk(item, (*path, key))
            elif isinstance(value, list):
                for index, item in enumerate(value):
                    walk(item, (*path, index))

        walk(self.config.model_dump(), ())
        return keys


def _value_at(data: Any, key: tuple[str | int, ...]) -> Any:
    for part in key:
        data = data[part]
    return data


def resolve_sqlite_path(url: str, base_dir: Path) -> str:
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith("sqlite:////") and url != "sqlite:///:memory:":
        relative = url[len(prefix) :]
        return prefix + str((base_dir / relative).resolve())
    return url


_dotenv_cache: dict[Path, dict[str, str | None]] = {}


def env(name: str, base_dir: Path | None = None) -> str | None:
    """An environment variable, falling back to the .env file beside the config (never overriding)."""
    value = os.environ.get(name)
    if value is not None or base_dir is None:
        return value
    dotenv_path = base_dir / ".env"
    if dotenv_path not in _dotenv_cache:
        _dotenv_cache[dotenv_path] = dotenv_values(dotenv_path) if dotenv_path.is_file() else {}
    return _dotenv_cache[dotenv_path].get(name)


def config_path(explicit: str | Path | None) -> Path:
    return Path(explicit or os.environ.get("POALIGN_CONFIG") or DEFAULT_CONFIG)


def load_config(path: str | Path) -> LoadedConfig:
    """Load and validate a config file. Raises ConfigError listing every problem."""
    path = Path(path)
    name = str(path)
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(
                [
                    ConfigProblem(
                        name,
                        None,
                        "",
                        f"the file is {path.stat().st_size} bytes, more than a config can be "
                        f"({MAX_CONFIG_BYTES}); is it the right file?",
                    )
                ]
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            [ConfigProblem(name, None, "", "file not found; `poalign init` writes a starter")]
        ) from None
    except OSError as exc:
        raise ConfigError([ConfigProblem(name, None, "", f"cannot read: {exc.strerror or exc}")]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        hint = " (it starts with a UTF-16 byte-order mark)" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        readable = data.decode("utf-8", "replace")
        key = _dotted(path_at(readable, len(data[: exc.start].decode("utf-8", "replace"))))
        raise ConfigError(
            [
                ConfigProblem(
                    name,
                    line,
                    key,
                    f"byte 0x{data[exc.start]:02x} at column {column} is not UTF-8 text{hint}; "
                    "save the file as UTF-8",
                )
            ]
        ) from None
    return parse_config(text, path)


def parse_config(text: str, path: Path) -> LoadedConfig:
    name = str(path)
    try:
        data, positions = load_with_positions(text, name)
    except YamlSyntaxError as exc:
        message = str(exc).removeprefix(f"{name}:").split(": ", 1)[-1]
        raise ConfigError([ConfigProblem(name, exc.line, _dotted(exc.path), message)]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            [
                ConfigProblem(
                    name, 1, "", "the file must be a mapping of sections (database, sources, teams, ...)"
                )
            ]
        )

    problems = _inline_secrets(data, positions, name) + _secrets_as_variable_names(data, positions, name)
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        reported = {problem.key for problem in problems}
        for error in exc.errors():
            problem = _problem(error, positions, name)
            # An inline secret is already explained, including the *_env key that should replace it.
            if problem.key not in reported and problem.key.removesuffix("_env") not in reported:
                problems.append(problem)
        raise ConfigError(sorted(problems, key=lambda p: p.line or 0)) from None
    problems += _references(config, positions, name)
    for index, source in enumerate(config.sources):
        problems += [
            ConfigProblem(name, line, key, message)
            for line, key, message in scheme_key_problems(source.auth, ("sources", index, "auth"), positions)
        ]
    if problems:
        raise ConfigError(problems)
    return LoadedConfig(config=config, path=path.resolve(), positions=positions)


def _dotted(path: tuple[str | int, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _problem(error: Any, positions: Positions, name: str) -> ConfigProblem:
    location = tuple(
        part for part in error["loc"] if not (isinstance(part, str) and part.startswith("function-"))
    )
    message = error["msg"].removeprefix("Value error, ")
    if location and location[-1] == "[key]":
        # A mapping key YAML read as a number, date, null or boolean: say so and how to fix it.
        location = location[:-1]
        message = f"keys here must be text, got {error['input']!r}; put the key in quotes"
    elif error["type"] == "invalid_key":
        parent = _dotted(location[:-1])
        location_text = f"{parent}.{location[-1]!r}" if parent else repr(location[-1])
        message = f"keys must be text, got {location[-1]!r}; put the key in quotes"
        return ConfigProblem(name, positions.line_for(location[:-1]), location_text, message)
    elif error["type"].endswith(("_type", "_parsing")):
        # Name what was found without echoing it (the value could be a mistyped secret).
        message = f"{message} (got {_kind_of(error.get('input'))})"
    elif error["type"] == "extra_forbidden":
        message = "unknown key (check the spelling; `poalign init` writes every key with a comment)"
    elif error["type"] == "missing":
        message = "required key is missing"
    elif error["type"] in ("greater_than_equal", "less_than_equal") and location[:2] == (
        "policy",
        "priority_scale",
    ):
        message = f"priority levels run from 1 (highest) to 5 (lowest), got {error['input']!r}"
    elif error["type"] == "literal_error":
        message = f"expected {error['ctx']['expected']}, got {error['input']!r}"
    elif (
        error["type"] == "string_pattern_mismatch"
        and str(error["ctx"].get("pattern")) == r"^[a-z0-9][a-z0-9-]*$"
    ):
        message = f"expected a lowercase slug such as 'jira-main', got {error['input']!r}"
    return ConfigProblem(name, positions.line_for(location), _dotted(location), message)


def _kind_of(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def _inline_secrets(
    data: Any, positions: Positions, name: str, path: tuple[str | int, ...] = ()
) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    if isinstance(data, dict):
        for key, value in data.items():
            child = (*path, key)
            if (
                isinstance(key, str)
                and _SECRET_KEY.search(key)
                and isinstance(value, str | int)
                and value != ""
            ):
                problems.append(
                    ConfigProblem(
                        name,
                        positions.line_for(child),
                        _dotted(child),
                        f"a secret is written inline; put it in an environment variable and name that variable "
                        f"with `{key}_env: VARIABLE_NAME` (secrets in files end up in backups and diffs)",
                    )
                )
            else:
                problems += _inline_secrets(value, positions, name, child)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            problems += _inline_secrets(value, positions, name, (*path, index))
    return problems


def _secrets_as_variable_names(
    data: Any, positions: Positions, name: str, path: tuple[str | int, ...] = ()
) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    if isinstance(data, dict):
        for key, value in data.items():
            child = (*path, key)
            if (
                isinstance(key, str)
                and key.endswith("_env")
                and isinstance(value, str)
                and looks_like_secret(value)
            ):
                problems.append(
                    ConfigProblem(
                        name,
                        positions.line_for(child),
                        _dotted(child),
                        "this looks like a secret, not the name of an environment variable: put the secret "
                        f"in a variable (or the .env beside this file) and write the variable's NAME here, "
                        f"e.g. `{key}: POALIGN_{key.removesuffix('_env').upper()}`; then replace the secret, "
                        "it has been in a file",
                    )
                )
            else:
                problems += _secrets_as_variable_names(value, positions, name, child)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            problems += _secrets_as_variable_names(value, positions, name, (*path, index))
    return problems


def _references(config: Config, positions: Positions, name: str) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    sources = {source.name: source for source in config.sources}
    for index, team in enumerate(config.teams):
        source = sources.get(team.source)
        if source is None:
            known = ", ".join(sorted(sources)) or "none are defined"
            problems.append(
                ConfigProblem(
                    name,
                    positions.line_for(("teams", index, "source")),
                    f"teams[{index}].source",
                    f"unknown source {team.source!r} (sources: {known})",
                )
            )
            continue
        applies = tracker(source.kind).scope_keys
        for key in ("jql", "area_path", "team"):
            if key not in applies and getattr(team.scope, key):
                problems.append(
                    ConfigProblem(
                        name,
                        positions.line_for(("teams", index, "scope", key)),
                        f"teams[{index}].scope.{key}",
                        f"does not apply to a {source.kind} source",
                    )
                )
    team_names = {team.name for team in config.teams}
    for team_name in config.policy.teams:
        if team_name not in team_names:
            problems.append(
                ConfigProblem(
                    name,
                    positions.line_for(("policy", "teams", team_name)),
                    f"policy.teams.{team_name}",
                    "no team of this name is defined under teams",
                )
            )
    return problems

"""Which `auth` keys each scheme takes, and the problems of a source whose auth has one missing or one
that its scheme does not read (a key the scheme ignores is a typo or a half-finished migration: the
operator believes it applies)."""

from __future__ import annotations

from typing import Any

from service.config.yamlpos import Positions

# scheme → (required keys, optional keys); `scheme` itself is always allowed.
SCHEME_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "basic": (("token_env",), ("user_env", "token_expires")),
    "bearer": (("token_env",), ("token_expires",)),
    "scoped-token": (("user_env", "token_env"), ("gateway_url", "token_expires")),
    "oauth": (("client_id", "client_secret_env"), ("token_url", "gateway_url", "token_key_env")),
}
_ENTRA_COMMON = ("credential", "authority_host", "ca_bundle")
ENTRA_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "client-secret": (("tenant_id", "client_id", "client_secret_env"), ("secret_expires", *_ENTRA_COMMON)),
    "certificate": (("tenant_id", "client_id", "certificate_path"), _ENTRA_COMMON),
    "workload-identity": (("tenant_id", "client_id"), _ENTRA_COMMON),
    "managed-identity": ((), ("client_id", *_ENTRA_COMMON)),
}


def keys_of(scheme: str, credential: str = "client-secret") -> tuple[tuple[str, ...], tuple[str, ...]]:
    return ENTRA_KEYS[credential] if scheme == "entra" else SCHEME_KEYS[scheme]


def describe(scheme: str, credential: str = "client-secret") -> str:
    """`it takes: a, b (required); c, d`, the clause every auth problem ends with."""
    required, optional = keys_of(scheme, credential)
    parts = [", ".join(required) + " (required)"] if required else []
    if optional:
        parts.append(", ".join(optional))
    return f"it takes: {'; '.join(parts) or 'nothing more'}"


def scheme_key_problems(
    auth: Any, path: tuple[str | int, ...], positions: Positions
) -> list[tuple[int | None, str, str]]:
    """(line, dotted key, message) for each missing and each extra key of one source's auth."""
    scheme, credential = auth.scheme, auth.credential
    required, optional = keys_of(scheme, credential)
    given = set(auth.model_fields_set) - {"scheme"}
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    problems: list[tuple[int | None, str, str]] = []
    missing = [key for key in required if not getattr(auth, key)]
    what = f"scheme {scheme}" + (f" with credential {credential}" if scheme == "entra" else "")
    if missing:
        problems.append(
            (
                positions.line_for((*path, "scheme")),
                where,
                f"{what} needs {', '.join(missing)}; {describe(scheme, credential)}",
            )
        )
    for key in sorted(given - set(required) - set(optional)):
        problems.append(
            (
                positions.line_for((*path, key)),
                f"{where}.{key}",
                f"{what} does not take {key}; {describe(scheme, credential)}",
            )
        )
    return problems

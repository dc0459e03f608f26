"""The JQL the connectors send, parsed (evaluated in :mod:`.jql_eval`).

Supported: ``AND``/``OR``/``NOT`` and parentheses over clauses on project, key/issuekey, id,
updated, created, resolved/resolutiondate, duedate, labels, issuetype/type, status,
statusCategory, priority, resolution, parent, sprint, "Epic Link", fixVersion, with ``=``,
``!=``, ``<``, ``<=``, ``>``, ``>=``, ``in``, ``not in``, ``is [not] empty``; ``ORDER BY``
updated, created, key, id, priority, duedate, resolutiondate, rank. Dates take the forms Jira
takes: ``yyyy/MM/dd HH:mm``, ``yyyy-MM-dd HH:mm``, ``yyyy/MM/dd``, ``yyyy-MM-dd`` (in the searching
user's time zone), relative periods (``-5d``, ``"-4w 2d"``; a quoted bare number counts minutes) and
an unquoted number, which Jira reads as milliseconds since the epoch (``updated >= 946684800000``).

Anything else is answered with a 400 and Jira's error text, so a connector that sends JQL the
sandbox does not know finds out at once instead of getting a silently wrong answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .site import JiraSite


class JqlError(ValueError):
    """A JQL error; ``str(err)`` is the message Jira puts in ``errorMessages``."""


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>!=|>=|<=|!~|=|>|<|~|\(|\)|,)
      | (?P<word>[A-Za-z0-9_.\-:/+\[\]*@]+)
    )""",
    re.X,
)

_FIELDS = {
    "project": "project",
    "key": "key",
    "issuekey": "key",
    "id": "id",
    "updated": "updated",
    "updateddate": "updated",
    "created": "created",
    "createddate": "created",
    "resolved": "resolutiondate",
    "resolutiondate": "resolutiondate",
    "duedate": "duedate",
    "due": "duedate",
    "labels": "labels",
    "label": "labels",
    "issuetype": "issuetype",
    "type": "issuetype",
    "status": "status",
    "statuscategory": "statusCategory",
    "priority": "priority",
    "resolution": "resolution",
    "parent": "parent",
    "sprint": "sprint",
    "epic link": "epic",
    "fixversion": "fixVersion",
    "rank": "rank",
}
# real Jira fields the sandbox does not evaluate (answered with a clear 400)
_KNOWN_UNSUPPORTED = {
    "summary",
    "description",
    "text",
    "comment",
    "assignee",
    "reporter",
    "creator",
    "component",
    "affectedversion",
    "environment",
    "watcher",
    "voter",
    "filter",
    "issuefunction",
    "attachments",
    "lastviewed",
    "originalestimate",
    "remainingestimate",
    "timespent",
    "worklogdate",
    "category",
}


DATE_FIELDS = {"updated", "created", "resolutiondate", "duedate"}


_ORDERABLE = {"updated", "created", "key", "id", "priority", "duedate", "resolutiondate", "rank"}

_DATE_FORMATS = ("%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%Y-%m-%d")
_PERIOD = re.compile(r"^([+-]?)\s*((?:\d+\s*[wdhm]\s*)+)$")
_PERIOD_PART = re.compile(r"(\d+)\s*([wdhm])")
_MINUTES = {"w": 7 * 24 * 60, "d": 24 * 60, "h": 60, "m": 1}
_NUMBER = re.compile(r"^[+-]?\d+$")


@dataclass
class Clause:
    field: str
    op: str
    values: list[Any]
    raw_field: str

    @property
    def value_set(self) -> frozenset:
        vs = self.__dict__.get("_vs")
        if vs is None:
            vs = self.__dict__["_vs"] = frozenset(str(v) for v in self.values)
        return vs


@dataclass
class BoolOp:
    op: str  # AND | OR | NOT
    args: list[Any]


@dataclass
class Query:
    where: Any | None
    order: list[tuple[str, bool]]  # (field, descending)
    text: str
    relative: bool = False  # uses a relative date ("-5d"): the result depends on the clock

    @property
    def bounded(self) -> bool:
        return self.where is not None


class _Parser:
    def __init__(self, text: str, site: JiraSite, tz: str, now: datetime) -> None:
        self.text = text
        self.site = site
        self.tz = ZoneInfo(tz) if tz else UTC
        self.now = now
        self.relative = False
        self.toks: list[tuple[str, str]] = []
        pos = 0
        s = text.strip()
        while pos < len(s):
            m = _TOKEN.match(s, pos)
            if not m or m.end() == pos:
                raise JqlError(
                    f"Error in the JQL Query: The character '{s[pos]}' is a reserved JQL character. "
                    f"You must enclose it in a string or use the escape '\\u{ord(s[pos]):04x}' instead. "
                    f"(line 1, character {pos + 1})"
                )
            kind = m.lastgroup or ""
            val = m.group(kind)
            self.toks.append((kind, val))
            pos = m.end()
            while pos < len(s) and s[pos].isspace():
                pos += 1
        self.i = 0

    # -- token helpers --------------------------------------------------------------------
    def peek(self, k: int = 0) -> tuple[str, str] | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def next(self) -> tuple[str, str]:
        t = self.peek()
        if t is None:
            raise JqlError(
                "Error in the JQL Query: Expecting either a value, list or function but got end of query."
            )
        self.i += 1
        return t

    def kw(self, *words: str) -> bool:
        t = self.peek()
        return t is not None and t[0] == "word" and t[1].lower() in words

    def expect_kw(self, word: str) -> None:
        t = self.next()
        if t[0] != "word" or t[1].lower() != word:
            raise JqlError(f"Error in the JQL Query: Expecting '{word}' but got '{t[1]}'.")

    # -- grammar --------------------------------------------------------------------------
    def parse(self) -> Query:
        where = None
        if self.peek() is not None and not self.kw("order"):
            where = self.or_expr()
        order: list[tuple[str, bool]] = []
        if self.kw("order"):
            self.next()
            self.expect_kw("by")
            while True:
                t = self.next()
                raw = _unquote(t[1]) if t[0] == "str" else t[1]
                try:
                    name = self._field_name(raw)
                except JqlError as exc:
                    if "does not exist" in str(exc):
                        raise
                    name = raw
                if name not in _ORDERABLE:
                    raise JqlError(
                        f"The sandbox Jira does not support sorting by '{raw}'. Supported: "
                        + ", ".join(sorted(_ORDERABLE))
                        + "."
                    )
                desc = False
                if self.kw("asc", "desc"):
                    desc = self.next()[1].lower() == "desc"
                order.append((name, desc))
                if (nxt := self.peek()) and nxt[1] == ",":
                    self.next()
                    continue
                break
        if (extra := self.peek()) is not None:
            raise JqlError(
                f"Error in the JQL Query: Expecting operator but got '{extra[1]}'. "
                "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', "
                "'IS' and 'IS NOT'."
            )
        if len(order) > 7:
            raise JqlError("The ORDER BY clause may name at most 7 fields.")
        return Query(where=where, order=order, text=self.text, relative=self.relative)

    def or_expr(self) -> Any:
        args = [self.and_expr()]
        while self.kw("or") or ((nxt := self.peek()) and nxt[1] == "||"):
            self.next()
            args.append(self.and_expr())
        return args[0] if len(args) == 1 else BoolOp("OR", args)

    def and_expr(self) -> Any:
        args = [self.not_expr()]
        while self.kw("and") or ((nxt := self.peek()) and nxt[1] == "&&"):
            self.next()
            args.append(self.not_expr())
        return args[0] if len(args) == 1 else BoolOp("AND", args)

    def not_expr(self) -> Any:
        if self.kw("not"):
            self.next()
            return BoolOp("NOT", [self.not_expr()])
        t = self.peek()
        if t and t[1] == "(":
            self.next()
            e = self.or_expr()
            t2 = self.next()
            if t2[1] != ")":
                raise JqlError(f"Error in the JQL Query: Expecting ')' but got '{t2[1]}'.")
            return e
        return self.clause()

    def _field_name(self, raw: str) -> str:
        low = raw.lower()
        if low in _FIELDS:
            return _FIELDS[low]
        m = re.match(r"^cf\[(\d+)\]$", low)
        fid = f"customfield_{m.group(1)}" if m else low
        ef = self.site.epic_link_field
        if ef and fid == ef:
            return "epic"
        sf = self.site.sprint_field
        if sf and fid == sf:
            return "sprint"
        rf = self.site.rank_field
        if rf and fid == rf:
            return "rank"
        names = self.site.field_by_name()
        if low in names or fid in self.site.field_ids() or low in _KNOWN_UNSUPPORTED:
            raise JqlError(
                f"The sandbox Jira does not support searching on field '{raw}'. "
                "Supported: project, key, id, updated, created, resolved, duedate, labels, "
                "issuetype, status, statusCategory, priority, resolution, parent, sprint, "
                "'Epic Link', fixVersion."
            )
        raise JqlError(f"Field '{raw}' does not exist or you do not have permission to view it.")

    def clause(self) -> Clause:
        t = self.next()
        if t[0] not in ("word", "str"):
            raise JqlError(f"Error in the JQL Query: Expecting a field name but got '{t[1]}'.")
        raw = _unquote(t[1]) if t[0] == "str" else t[1]
        name = self._field_name(raw)
        t = self.next()
        op = t[1].lower()
        if t[0] == "word" and op == "not":
            self.expect_kw("in")
            op = "not in"
        elif t[0] == "word" and op == "is":
            if self.kw("not"):
                self.next()
                op = "is not"
            t2 = self.next()
            if t2[1].lower() not in ("empty", "null"):
                raise JqlError(f"Error in the JQL Query: Expecting 'EMPTY' or 'NULL' but got '{t2[1]}'.")
            return Clause(name, op, [], raw)
        elif t[0] == "word" and op == "in":
            op = "in"
        elif t[0] != "op" or op in ("(", ")", ","):
            raise JqlError(
                f"Error in the JQL Query: Expecting operator but got '{t[1]}'. The valid operators "
                "are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'."
            )
        if op in ("~", "!~"):
            raise JqlError(f"The operator '{op}' is not supported by the '{raw}' field.")
        if op in ("in", "not in"):
            t = self.next()
            if t[1] != "(":
                raise JqlError(f"Error in the JQL Query: Expecting '(' but got '{t[1]}'.")
            values = []
            while True:
                values.append(self.value(name, raw))
                t = self.next()
                if t[1] == ")":
                    break
                if t[1] != ",":
                    raise JqlError(f"Error in the JQL Query: Expecting ',' or ')' but got '{t[1]}'.")
        else:
            values = [self.value(name, raw)]
        if op in ("<", "<=", ">", ">=") and name not in DATE_FIELDS | {"id", "key", "priority"}:
            raise JqlError(f"The operator '{op}' is not supported by the '{raw}' field.")
        return Clause(name, op, values, raw)

    def value(self, name: str, raw_field: str) -> Any:
        t = self.next()
        if t[0] == "str":
            v = _unquote(t[1])
        elif t[0] == "word":
            v = t[1]
            nxt = self.peek()
            if nxt and nxt[1] == "(":  # a JQL function
                raise JqlError(f"The sandbox Jira does not support the JQL function '{v}()'.")
            # relative periods like '-4w 2d' come in several word tokens
            while (
                name in DATE_FIELDS
                and (ahead := self.peek())
                and ahead[0] == "word"
                and re.fullmatch(r"\d+[wdhm]", ahead[1])
            ):
                v += " " + self.next()[1]
        else:
            raise JqlError(
                f"Error in the JQL Query: Expecting either a value, list or function but got '{t[1]}'."
            )
        if name in DATE_FIELDS:
            return self.date_value(v, raw_field, quoted=t[0] == "str")
        if name == "id":
            if not str(v).isdigit():
                raise JqlError(f"The value '{v}' for field 'id' is invalid.")
            return str(v)
        if name == "key":
            return str(v).upper()
        return v

    def date_value(self, v: str, raw_field: str, *, quoted: bool) -> datetime:
        s = v.strip()
        if _NUMBER.match(s):
            if quoted:  # a period without a unit counts minutes, Jira's default unit
                s += "m"
            else:  # Jira reads an unquoted number as milliseconds since 1970-01-01 UTC
                try:
                    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(s))
                except OverflowError:
                    raise _bad_date(v, raw_field) from None
        m = _PERIOD.match(s)
        if m:
            self.relative = True
            sign = -1 if m.group(1) == "-" else 1
            try:
                total = sum(
                    (
                        timedelta(minutes=int(num) * _MINUTES[unit])
                        for num, unit in _PERIOD_PART.findall(m.group(2))
                    ),
                    timedelta(),
                )
                return self.now + sign * total
            except OverflowError:
                raise _bad_date(v, raw_field) from None
        for fmt in _DATE_FORMATS:
            try:
                local = datetime.strptime(s, fmt)  # noqa: DTZ007 - the zone is the user's, set below
            except ValueError:
                continue
            return local.replace(tzinfo=self.tz).astimezone(UTC)
        raise _bad_date(v, raw_field)


def _bad_date(v: str, raw_field: str) -> JqlError:
    return JqlError(
        f"Date value '{v}' for field '{raw_field}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', "
        "'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
    )


def _unquote(s: str) -> str:
    body = s[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def parse(text: str, site: JiraSite, tz: str = "UTC", now: datetime | None = None) -> Query:
    return _Parser(text or "", site, tz, now or datetime.now(UTC)).parse()

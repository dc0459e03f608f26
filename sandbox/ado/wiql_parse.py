"""The WIQL the connectors send, parsed (evaluated in :mod:`.wiql_eval`).

``SELECT [f], … FROM WorkItems [WHERE …] [ORDER BY [f] [ASC|DESC], …] [ASOF '…']`` with
``AND``/``OR``/``NOT`` and parentheses; operators ``=``, ``<>``, ``!=``, ``<``, ``<=``, ``>``,
``>=``, ``IN``, ``NOT IN``, ``UNDER``, ``NOT UNDER``, ``CONTAINS``, ``NOT CONTAINS``,
``CONTAINS WORDS``; macros ``@project``, ``@today [± n]``, ``@me``. Date-times need
``timePrecision=true`` like the real service. Errors carry the service's TF/VS codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..formats import parse_ts
from .org import AdoOrg


class WiqlError(ValueError):
    """A WIQL error: ``str(err)`` is the message of the service's error envelope."""

    def __init__(self, message: str, type_key: str = "SyntaxException", status: int = 400) -> None:
        super().__init__(message)
        self.type_key = type_key
        self.status = status


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<field>\[[^\]]+\])
      | (?P<str>'(?:[^']|'')*'|"(?:[^"]|"")*")
      | (?P<op><>|!=|>=|<=|=|>|<|\(|\)|,|\+|-)
      | (?P<macro>@[A-Za-z]+)
      | (?P<num>\d+(?:\.\d+)?)
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.X,
)

DATE_FIELDS = {
    "system.changeddate",
    "system.createddate",
    "system.authorizeddate",
    "system.reviseddate",
    "microsoft.vsts.common.closeddate",
    "microsoft.vsts.common.resolveddate",
    "microsoft.vsts.common.activateddate",
    "microsoft.vsts.common.statechangedate",
    "microsoft.vsts.scheduling.targetdate",
    "microsoft.vsts.scheduling.startdate",
    "microsoft.vsts.scheduling.finishdate",
    "microsoft.vsts.scheduling.duedate",
}
CORE_FIELDS = {
    "System.Id",
    "System.Rev",
    "System.Title",
    "System.State",
    "System.Reason",
    "System.WorkItemType",
    "System.TeamProject",
    "System.AreaPath",
    "System.IterationPath",
    "System.AreaId",
    "System.IterationId",
    "System.ChangedDate",
    "System.CreatedDate",
    "System.ChangedBy",
    "System.CreatedBy",
    "System.AssignedTo",
    "System.Tags",
    "System.Description",
    "System.History",
    "System.Parent",
    "System.BoardColumn",
    "System.CommentCount",
    "System.AuthorizedDate",
    "System.RevisedDate",
    "System.Watermark",
    "Microsoft.VSTS.Common.Priority",
    "Microsoft.VSTS.Common.StackRank",
    "Microsoft.VSTS.Common.BacklogPriority",
    "Microsoft.VSTS.Common.ClosedDate",
    "Microsoft.VSTS.Common.ResolvedDate",
    "Microsoft.VSTS.Common.Severity",
    "Microsoft.VSTS.Common.ValueArea",
    "Microsoft.VSTS.Common.StateChangeDate",
    "Microsoft.VSTS.Scheduling.TargetDate",
    "Microsoft.VSTS.Scheduling.StartDate",
    "Microsoft.VSTS.Scheduling.FinishDate",
    "Microsoft.VSTS.Scheduling.StoryPoints",
    "Microsoft.VSTS.Scheduling.Effort",
    "Microsoft.VSTS.Scheduling.RemainingWork",
}


@dataclass
class Cmp:
    field: str  # reference name as the org knows it
    op: str
    values: list[Any]


@dataclass
class Bool:
    op: str
    args: list[Any]


@dataclass
class WiqlQuery:
    select: list[str]
    where: Any | None
    order: list[tuple[str, bool]]
    as_of: datetime | None
    project_clause: set[str] | None  # project names named by [System.TeamProject] = … (top-level AND)


class _Parser:
    def __init__(
        self,
        text: str,
        known: dict[str, str],
        project: str | None,
        now: datetime,
        time_precision: bool,
        me: str,
    ) -> None:
        self.known = known
        self.project = project
        self.now = now
        self.time_precision = time_precision
        self.me = me
        self.toks: list[tuple[str, str]] = []
        s = text.strip()
        pos = 0
        while pos < len(s):
            m = _TOKEN.match(s, pos)
            if not m or m.end() == pos:
                raise WiqlError(
                    f"TF51006: The query statement is missing a FROM clause or contains an invalid character. "
                    f"The error is caused by «{s[pos : pos + 20]}».",
                    "SyntaxException",
                )
            kind = m.lastgroup or ""
            self.toks.append((kind, m.group(kind)))
            pos = m.end()
            while pos < len(s) and s[pos].isspace():
                pos += 1
        self.i = 0

    def peek(self, k: int = 0) -> tuple[str, str] | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def next(self) -> tuple[str, str]:
        t = self.peek()
        if t is None:
            raise WiqlError("TF51004: The query is incomplete. Expecting a value at the end of the query.")
        self.i += 1
        return t

    def kw(self, *words: str) -> bool:
        t = self.peek()
        return t is not None and t[0] == "word" and t[1].lower() in words

    def expect(self, word: str) -> None:
        t = self.next()
        if t[0] != "word" or t[1].lower() != word:
            raise WiqlError(f"TF51006: Expecting '{word.upper()}'. The error is caused by «{t[1]}».")

    def field(self, t: tuple[str, str]) -> str:
        if t[0] == "field":
            name = t[1][1:-1].strip()
        elif t[0] == "word":
            name = t[1]
        else:
            raise WiqlError(f"TF51006: Expecting field name. The error is caused by «{t[1]}».")
        ref = self.known.get(name.lower())
        if ref is None:
            raise WiqlError(
                f"TF51005: The query references a field that does not exist. The error is caused by «{name}».",
                "FieldDoesNotExistException",
            )
        return ref

    def parse(self) -> WiqlQuery:
        self.expect("select")
        select = [self.field(self.next())]
        while (nxt := self.peek()) and nxt[1] == ",":
            self.next()
            select.append(self.field(self.next()))
        self.expect("from")
        t = self.next()
        if t[1].lower() != "workitems":
            if t[1].lower() in ("workitemlinks",):
                raise WiqlError(
                    "The sandbox answers flat queries only (FROM WorkItems), not link queries.",
                    "NotSupportedException",
                )
            raise WiqlError(f"TF51006: Expecting WorkItems. The error is caused by «{t[1]}».")
        where = None
        if self.kw("where"):
            self.next()
            where = self.or_expr()
        order: list[tuple[str, bool]] = []
        if self.kw("order"):
            self.next()
            self.expect("by")
            while True:
                f = self.field(self.next())
                desc = False
                if self.kw("asc", "desc"):
                    desc = self.next()[1].lower() == "desc"
                order.append((f, desc))
                if (nxt := self.peek()) and nxt[1] == ",":
                    self.next()
                    continue
                break
        as_of = None
        if self.kw("asof"):
            self.next()
            t = self.next()
            as_of = parse_ts(_unq(t[1]))
        if (extra := self.peek()) is not None:
            raise WiqlError(
                f"TF51006: The query has an unexpected token. The error is caused by «{extra[1]}»."
            )
        projects = None
        top = where.args if isinstance(where, Bool) and where.op == "AND" else [where] if where else []
        for c in top:
            if isinstance(c, Cmp) and c.field == "System.TeamProject" and c.op in ("=", "in"):
                projects = {str(v).lower() for v in c.values}
        return WiqlQuery(select, where, order or [("System.Id", False)], as_of, projects)

    def or_expr(self) -> Any:
        args = [self.and_expr()]
        while self.kw("or"):
            self.next()
            args.append(self.and_expr())
        return args[0] if len(args) == 1 else Bool("OR", args)

    def and_expr(self) -> Any:
        args = [self.not_expr()]
        while self.kw("and"):
            self.next()
            args.append(self.not_expr())
        return args[0] if len(args) == 1 else Bool("AND", args)

    def not_expr(self) -> Any:
        if self.kw("not") and not ((after := self.peek(1)) and after[0] == "word"):
            self.next()
            return Bool("NOT", [self.not_expr()])
        t = self.peek()
        if t and t[1] == "(":
            self.next()
            e = self.or_expr()
            t2 = self.next()
            if t2[1] != ")":
                raise WiqlError(f"TF51006: Expecting ')'. The error is caused by «{t2[1]}».")
            return e
        return self.comparison()

    def comparison(self) -> Cmp:
        f = self.field(self.next())
        t = self.next()
        op = t[1].lower()
        if t[0] == "word":
            if op == "not":
                t2 = self.next()
                op = "not " + t2[1].lower()
            elif op == "contains" and self.kw("words"):
                self.next()
                op = "contains words"
            elif op == "ever":
                raise WiqlError("The sandbox does not support the EVER operator.", "NotSupportedException")
        if op == "!=":
            op = "<>"
        if op not in (
            "=",
            "<>",
            "<",
            "<=",
            ">",
            ">=",
            "in",
            "not in",
            "under",
            "not under",
            "contains",
            "not contains",
            "contains words",
            "not contains words",
        ):
            raise WiqlError(f"TF51006: Expecting comparison operator. The error is caused by «{t[1]}».")
        if op in ("in", "not in"):
            t = self.next()
            if t[1] != "(":
                raise WiqlError(f"TF51006: Expecting '('. The error is caused by «{t[1]}».")
            values = []
            while True:
                values.append(self.value(f))
                t = self.next()
                if t[1] == ")":
                    break
                if t[1] != ",":
                    raise WiqlError(f"TF51006: Expecting ',' or ')'. The error is caused by «{t[1]}».")
            return Cmp(f, "in" if op == "in" else "not in", values)
        return Cmp(f, op, [self.value(f)])

    def value(self, field: str) -> Any:
        t = self.next()
        is_date = field.lower() in DATE_FIELDS
        if t[0] == "macro":
            m = t[1].lower()
            if m == "@project":
                if not self.project:
                    raise WiqlError("TF51011: The @project macro needs a project in the request route.")
                return self.project
            if m == "@me":
                return self.me
            if m == "@today":
                d = self.now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
                nxt = self.peek()
                if nxt and nxt[1] in ("+", "-"):
                    self.next()
                    n = self.next()
                    d = d + timedelta(days=int(float(n[1])) * (1 if nxt[1] == "+" else -1))
                return ("date", d)
            raise WiqlError(f"The sandbox does not support the macro {t[1]}.", "NotSupportedException")
        if t[0] == "str":
            v = _unq(t[1])
            if is_date:
                has_time = "T" in v or ":" in v
                if has_time and not self.time_precision:
                    raise WiqlError(
                        "You cannot supply a time with the date when running a query using date precision. "
                        f"The error is caused by «'{v}'».",
                        "InvalidQueryTextException",
                    )
                when = parse_ts(v)
                if when is None:
                    raise WiqlError(
                        f"TF51012: The value '{v}' is not a valid date.", "InvalidQueryTextException"
                    )
                return ("datetime" if has_time else "date", when)
            return v
        if t[0] == "num":
            return float(t[1]) if "." in t[1] else int(t[1])
        if t[0] == "op" and t[1] == "-":
            n = self.next()
            return -(float(n[1]) if "." in n[1] else int(n[1]))
        if t[0] == "field":
            raise WiqlError(
                "The sandbox does not support field-to-field comparisons.", "NotSupportedException"
            )
        if t[0] == "word" and t[1].lower() in ("true", "false"):
            return t[1].lower() == "true"
        raise WiqlError(f"TF51006: Expecting a value. The error is caused by «{t[1]}».")


def _unq(s: str) -> str:
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        return s[1:-1].replace(s[0] * 2, s[0])
    return s


def known_fields(org: AdoOrg) -> dict[str, str]:
    out = {f.lower(): f for f in CORE_FIELDS}
    for wi in org.items.values():
        for k in wi.fields:
            out.setdefault(k.lower(), k)
    return out


def parse(
    text: str,
    org: AdoOrg,
    project: str | None,
    now: datetime,
    time_precision: bool,
    me: str = "",
    known: dict[str, str] | None = None,
) -> WiqlQuery:
    return _Parser(text or "", known or known_fields(org), project, now, time_precision, me).parse()


def now_utc() -> datetime:
    return datetime.now(UTC)

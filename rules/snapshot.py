"""The Snapshot: items, edges, teams and policy with the indexes the rules need.

Built by the service from the store (or by tests from plain data); rules only read it.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import fields
from datetime import date, timedelta
from typing import TypeVar

from rules.model import DEPENDS_ON, Commitment, Edge, Item, Policy, Team

URL_END = "url:"  # the ref the service gives the other end of a link it knows only by URL

T = TypeVar("T")

ResolvedPair = tuple[str, str, Item | None, Item | None]


class Snapshot:
    """Items, edges, teams and policy with the indexes the rules need.

    Built once in O(items + edges); `apply` then updates it in time proportional to the change, so
    a long-running worker can keep one snapshot and feed it deltas. Derived data that rules
    memoize (`memo`) is dropped on every `apply`.
    """

    __slots__ = (
        "_by_origin",
        "_by_team",
        "_children",
        "_commitments",
        "_in",
        "_items",
        "_memo",
        "_out",
        "_plan_memo",
        "_policy",
        "_teams",
        "_today",
        "_url_ends",
    )

    def __init__(
        self,
        items: Iterable[Item],
        edges: Iterable[Edge],
        teams: Iterable[Team] | Mapping[str, Team],
        policy: Policy,
        today: date,
        commitments: Iterable[Commitment] = (),
    ) -> None:
        self._commitments = {(c.dependent, c.prerequisite): c for c in commitments}
        self._teams: dict[str, Team] = (
            dict(teams) if isinstance(teams, Mapping) else {t.name: t for t in teams}
        )
        self._policy = policy
        self._today = today
        self._items: dict[str, Item] = {}
        self._by_team: dict[str | None, set[str]] = {}
        self._children: dict[str, set[str]] = {}
        self._out: dict[str, list[Edge]] = {}
        self._in: dict[str, list[Edge]] = {}
        self._by_origin: dict[str, list[Edge]] = {}
        self._memo: dict[object, object] = {}
        self._plan_memo: dict[object, object] = {}  # memoized data no item's plan changes (`memo`)
        # edge ends that are unresolved links by URL ("url:..."), with how many edges name each: DEP007
        # finds the few whose hint a change touches without scanning every edge
        self._url_ends: dict[str, int] = {}
        # Indexing allocates a few hundred thousand containers, none of them cyclic; the cyclic
        # collector would otherwise rescan the whole heap several times (measured: 2.5x slower).
        collecting = gc.isenabled()
        gc.disable()
        try:
            for item in items:
                if item.ref in self._items:
                    raise ValueError(f"duplicate item ref {item.ref!r}")
                self._index_item(item)
            for edge in edges:
                self._by_origin.setdefault(edge.origin, []).append(edge)
                self._index_edge(edge)
        finally:
            if collecting:
                gc.enable()

    # -- reading -------------------------------------------------------------------------------

    @property
    def teams(self) -> Mapping[str, Team]:
        return self._teams

    @property
    def policy(self) -> Policy:
        return self._policy

    @property
    def today(self) -> date:
        return self._today

    @property
    def items(self) -> Mapping[str, Item]:
        return self._items

    def __len__(self) -> int:
        return len(self._items)

    def get(self, ref: str) -> Item | None:
        return self._items.get(ref)

    def team_refs(self, team: str | None) -> Collection[str]:
        return self._by_team.get(team, ())

    def team_names(self) -> list[str]:
        """Every team that owns an item, sorted (configured teams without items have nothing to judge)."""
        return sorted(t for t, refs in self._by_team.items() if t is not None and refs)

    def commitment(self, dependent: str, prerequisite: str) -> Commitment | None:
        """The contract of the edge dependent → prerequisite, if the teams have one."""
        return self._commitments.get((dependent, prerequisite))

    @property
    def commitments(self) -> Collection[Commitment]:
        return self._commitments.values()

    def commitments_touched(self, commitments: Iterable[Commitment]) -> frozenset[str]:
        """Both ends of every contract that would change, come or go if these replaced the current ones."""
        new = {(c.dependent, c.prerequisite): c for c in commitments}
        touched: set[str] = set()
        for pair in set(new) | set(self._commitments):
            if new.get(pair) != self._commitments.get(pair):
                touched.update(pair)
        return frozenset(touched)

    def replace_commitments(self, commitments: Iterable[Commitment]) -> frozenset[str]:
        """Put the store's current contracts in place; returns the refs they touched (to judge again)."""
        new = tuple(commitments)
        touched = self.commitments_touched(new)
        self._commitments = {(c.dependent, c.prerequisite): c for c in new}
        if touched:
            self._memo.clear()
            self._plan_memo.clear()
        return touched

    def url_refs(self) -> Collection[str]:
        """Edge ends that are links by a URL no source recognised ("url:..."), each once."""
        return self._url_ends.keys()

    def children(self, ref: str) -> Collection[str]:
        return self._children.get(ref, ())

    def edges_from(self, ref: str) -> Sequence[Edge]:
        """Edges whose `dependent` end is ref (for undirected kinds: the first end)."""
        return self._out.get(ref, ())

    def edges_to(self, ref: str) -> Sequence[Edge]:
        return self._in.get(ref, ())

    def edges_reported_by(self, origin: str) -> Sequence[Edge]:
        return self._by_origin.get(origin, ())

    def parent_refs(self) -> list[str]:
        """Refs that have children (the parent itself may be unknown)."""
        return [ref for ref, children in self._children.items() if children]

    def pairs(self, kind: str, refs: Collection[str] | None = None) -> list[tuple[str, str]]:
        """Distinct (dependent, prerequisite) pairs of edges of one kind, optionally touching `refs`.

        Both sides of a Jira link report it, so one pair often has several edges; rules judge the
        pair once. For undirected kinds the two directions are different pairs; callers that do
        not care about direction fold them.
        """
        if refs is None:
            return self.memo(("pairs", kind), lambda: self._all_pairs(kind), plan_free=True)
        pairs: dict[tuple[str, str], None] = {}
        for ref in refs:
            for edge in self._out.get(ref, ()):
                if edge.kind == kind:
                    pairs[(ref, edge.prerequisite)] = None
            for edge in self._in.get(ref, ()):
                if edge.kind == kind:
                    pairs[(edge.dependent, ref)] = None
        return list(pairs)

    def resolved_pairs(self, kind: str, refs: Collection[str] | None = None) -> list[ResolvedPair]:
        """`pairs` with both items looked up (None for an unknown ref): rules iterate this in bulk."""
        if refs is None:
            return self.memo(("resolved_pairs", kind), lambda: self._resolve(self.pairs(kind)))
        return self._resolve(self.pairs(kind, refs))

    def _resolve(self, pairs: list[tuple[str, str]]) -> list[ResolvedPair]:
        get = self._items.get
        return [(a, b, get(a), get(b)) for a, b in pairs]

    def _all_pairs(self, kind: str) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = []
        for dependent, edges in self._out.items():
            seen: set[str] = set()
            for edge in edges:
                if edge.kind == kind and edge.prerequisite not in seen:
                    seen.add(edge.prerequisite)
                    pairs.append((dependent, edge.prerequisite))
        return pairs

    def horizon_end(self) -> date:
        return self.today + timedelta(days=self.policy.planning_horizon_days)

    def memo(self, key: object, compute: Callable[[], T], *, plan_free: bool = False) -> T:
        """Derived data shared by rules within one state of the snapshot (dropped by `apply`).

        `plan_free` says the data reads nothing a move changes (an item's iteration, target or due
        date): a `trial` that only moves items keeps it instead of computing it again. Say it only
        of data that reads none of those three, directly or through another memo or `rules.plans`.
        """
        memo = self._plan_memo if plan_free else self._memo
        try:
            return memo[key]  # type: ignore[return-value]  # stored by compute() for this key, so a T
        except KeyError:
            value = memo[key] = compute()
            return value

    # -- changing ------------------------------------------------------------------------------

    def reconfigure(
        self,
        *,
        teams: Iterable[Team] | Mapping[str, Team] | None = None,
        policy: Policy | None = None,
        today: date | None = None,
    ) -> None:
        """Replace teams (PO names), policy or the day without re-indexing the items.

        These change every finding's wording or verdict, so follow with a full evaluation.
        """
        if teams is not None:
            self._teams = dict(teams) if isinstance(teams, Mapping) else {t.name: t for t in teams}
        if policy is not None:
            self._policy = policy
        if today is not None:
            self._today = today
        self._memo.clear()
        self._plan_memo.clear()

    def touched_by(
        self,
        upserted_items: Iterable[Item] = (),
        removed_refs: Iterable[str] = (),
        edges_replaced_for_origins: Mapping[str, Sequence[Edge]] | None = None,
    ) -> frozenset[str]:
        """The refs a change touches, read from the current state: changed items and both ends of
        every edge that the change adds or drops."""
        touched = {item.ref for item in upserted_items}
        removed = set(removed_refs)
        touched |= removed
        origins = set(edges_replaced_for_origins or ()) | removed
        for origin in origins:
            touched.add(origin)
            for edge in self._by_origin.get(origin, ()):
                touched.update((edge.dependent, edge.prerequisite))
        for edges in (edges_replaced_for_origins or {}).values():
            for edge in edges:
                touched.update((edge.dependent, edge.prerequisite))
        return frozenset(touched)

    def apply(
        self,
        upserted_items: Iterable[Item] = (),
        removed_refs: Iterable[str] = (),
        edges_replaced_for_origins: Mapping[str, Sequence[Edge]] | None = None,
    ) -> frozenset[str]:
        """Apply a delta in time proportional to its size; returns the refs it touched.

        A removed item's own reported edges go with it (its tracker data is gone); edges other
        items report towards it stay and become dangling. Each list in `edges_replaced_for_origins`
        replaces every edge that origin reported before.
        """
        touched = self._apply(upserted_items, removed_refs, edges_replaced_for_origins)
        self._memo.clear()
        self._plan_memo.clear()
        return touched

    def _apply(
        self,
        upserted_items: Iterable[Item] = (),
        removed_refs: Iterable[str] = (),
        edges_replaced_for_origins: Mapping[str, Sequence[Edge]] | None = None,
    ) -> frozenset[str]:
        """`apply` without dropping the memoized data (`trial` decides what of it stays)."""
        upserted = list(upserted_items)
        removed = list(removed_refs)
        replaced = dict(edges_replaced_for_origins or {})
        for origin, edges in replaced.items():
            for edge in edges:
                if edge.origin != origin:
                    raise ValueError(f"edge {edge} listed under origin {origin!r}")
        touched = self.touched_by(upserted, removed, replaced)
        for ref in removed:
            old = self._items.get(ref)
            if old is not None:
                self._unindex_item(old)
            replaced.setdefault(ref, [])
        for item in upserted:
            old = self._items.get(item.ref)
            if old is not None:
                self._unindex_item(old)
            self._index_item(item)
        for origin, edges in replaced.items():
            for edge in self._by_origin.pop(origin, ()):
                self._out[edge.dependent].remove(edge)
                self._in[edge.prerequisite].remove(edge)
                self._count_url_ends(edge, -1)
            if edges:
                self._by_origin[origin] = list(edges)
                for edge in edges:
                    self._index_edge(edge)
        return touched

    @contextmanager
    def trial(self, upserted_items: Iterable[Item]) -> Iterator[frozenset[str]]:
        """Hold changed items for the duration of a `with` (what-if planning); yields the refs touched.

        On exit the items are as they were, and so is the derived data rules had memoized for that
        state: it is valid again, so asking the same snapshot many what-ifs rebuilds only the
        changed state's, once each. When the items differ only in their plan (moves), the trial
        starts with the memoized data that reads no plan (`memo(..., plan_free=True)`): a team's
        backlog order or Definition-of-Done practice is the same whichever sprint its items are in.
        """
        upserted = list(upserted_items)
        unknown = [item.ref for item in upserted if item.ref not in self._items]
        if unknown:
            raise ValueError(f"a trial changes known items only; unknown: {', '.join(unknown)}")
        previous = [self._items[item.ref] for item in upserted]
        moves_only = all(_same_but_plan(old, new) for old, new in zip(previous, upserted, strict=True))
        saved, saved_plan_free = self._memo, self._plan_memo
        self._memo = {}
        if not moves_only:
            self._plan_memo = {}
        try:
            # plan-free data, kept or learnt here, holds for both states when only plans change
            yield self._apply(upserted)
        finally:
            self._apply(previous)
            self._memo, self._plan_memo = saved, saved_plan_free

    def _index_item(self, item: Item) -> None:
        self._items[item.ref] = item
        self._by_team.setdefault(item.team, set()).add(item.ref)
        if item.parent is not None:
            self._children.setdefault(item.parent, set()).add(item.ref)

    def _unindex_item(self, item: Item) -> None:
        del self._items[item.ref]
        self._by_team[item.team].discard(item.ref)
        if item.parent is not None:
            self._children[item.parent].discard(item.ref)

    def _index_edge(self, edge: Edge) -> None:
        self._out.setdefault(edge.dependent, []).append(edge)
        self._in.setdefault(edge.prerequisite, []).append(edge)
        self._count_url_ends(edge, 1)

    def _count_url_ends(self, edge: Edge, step: int) -> None:
        for end in (edge.dependent, edge.prerequisite):
            if end.startswith(URL_END):
                left = self._url_ends.get(end, 0) + step
                if left > 0:
                    self._url_ends[end] = left
                else:
                    self._url_ends.pop(end, None)


_PLAN_FIELDS = frozenset({"iteration", "target_date", "due_date"})
_OTHER_FIELDS = tuple(f.name for f in fields(Item) if f.name not in _PLAN_FIELDS)


def _same_but_plan(old: Item, new: Item) -> bool:
    """Whether `new` is `old` with at most its iteration, target date and due date changed."""
    return all(getattr(old, name) == getattr(new, name) for name in _OTHER_FIELDS)


def depends(snapshot: Snapshot, dependent: str, prerequisite: str) -> bool:
    """Whether some item's tracker reports that `dependent` depends on `prerequisite`."""
    return any(
        edge.kind == DEPENDS_ON and edge.prerequisite == prerequisite
        for edge in snapshot.edges_from(dependent)
    )

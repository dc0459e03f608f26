"""Bounded parallel fetching for sync streams: at most `concurrency` requests in flight per source."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

A = TypeVar("A")
R = TypeVar("R")


def map_unordered(function: Callable[[A], R], arguments: Iterable[A], concurrency: int) -> Iterator[R]:
    """Results as they complete. The first failure cancels what has not started and is raised."""
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="poalign-fetch") as pool:
        pending: set[Future[R]] = set()
        source = iter(arguments)
        try:
            for argument in source:
                pending.add(pool.submit(function, argument))
                if len(pending) >= concurrency * 2:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        yield future.result()
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        finally:
            for future in pending:
                future.cancel()


def map_ordered(function: Callable[[A], R], arguments: Iterable[A], concurrency: int) -> Iterator[R]:
    """Results in argument order, fetched ahead in parallel (cursors must advance in order)."""
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="poalign-fetch") as pool:
        window: deque[Future[R]] = deque()
        try:
            for argument in arguments:
                window.append(pool.submit(function, argument))
                if len(window) >= concurrency * 2:
                    yield window.popleft().result()
            while window:
                yield window.popleft().result()
        finally:
            for future in window:
                future.cancel()

"""Waiting in tests: on a condition, never for a fixed time.

`wait_until` polls a predicate until it holds and fails with a message when it does not within a
generous timeout (a loaded machine is slow, not wrong). `assert_nothing_within` is for the tests
whose point is a window of time: something must NOT happen within it, so the window itself is
what is waited for (and a violation fails at once, not at the end of the window).
"""

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

T = TypeVar("T")

Message = str | Callable[[], object]


class WaitTimeout(AssertionError):
    """A condition still did not hold when its wait timed out."""


def _describe(message: Message, timeout: float) -> str:
    text = message() if callable(message) else message
    return f"{text} (still not so after {timeout:g} s)"


def wait_until(predicate: Callable[[], T], *, timeout: float = 30.0, interval: float = 0.05,
               message: Message = "the condition never held") -> T:
    """Call `predicate` until it returns something truthy, and return that; raise WaitTimeout
    (an AssertionError) with `message` (a string, or a callable for what is known by then) when
    `timeout` seconds pass first. The predicate is always tried once more at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise WaitTimeout(_describe(message, timeout))
        time.sleep(interval)  # the polling interval


@overload
async def async_wait_until(predicate: Callable[[], Awaitable[T]], *, timeout: float = ...,
                           interval: float = ..., message: Message = ...) -> T: ...


@overload
async def async_wait_until(predicate: Callable[[], T], *, timeout: float = ...,
                           interval: float = ..., message: Message = ...) -> T: ...


async def async_wait_until(predicate: Callable[[], Any], *, timeout: float = 30.0,
                           interval: float = 0.05, message: Message = "the condition never held") -> Any:
    """`wait_until` in an event loop: `predicate` may be a plain function or return an awaitable
    (e.g. `lambda: asyncio.to_thread(query)`); the loop keeps running between tries."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if loop.time() >= deadline:
            raise WaitTimeout(_describe(message, timeout))
        await asyncio.sleep(interval)  # the polling interval


def assert_nothing_within(seconds: float, happened: Callable[[], object], *, interval: float = 0.05,
                          message: Message = "it happened") -> None:
    """Assert that `happened()` stays falsy for `seconds`: a deliberate window, for a test whose
    claim is that something does NOT happen (a connection nobody should make). Fails as soon as
    it does happen."""
    deadline = time.monotonic() + seconds
    while True:
        if happened():
            text = message() if callable(message) else message
            raise AssertionError(f"{text} (within {seconds:g} s)")
        if time.monotonic() >= deadline:
            return
        time.sleep(interval)  # the polling interval

"""The circuit breaker in front of calls to products: stop asking while products keeps failing.

Not purgatory (which it replaced): purgatory's half-open state lets every concurrent call
through instead of one trial, and it counts the failures of calls that were in flight
together as consecutive, so one blip under load opens the circuit for the whole period.

It lives on the event loop and nothing in it awaits, so its state needs no lock.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

logger = logging.getLogger("app.products_client")


class CircuitOpen(Exception):
    """The breaker refused a call without making it; the message says why and until when."""


@dataclass(frozen=True, slots=True)
class Admitted:
    """A call the breaker let through: its place in the order calls started, and whether it
    is the one trial of a half-open circuit."""

    number: int
    trial: bool


class CircuitBreaker:
    """Closed, calls go through and `failures` failures in a row open the circuit; open, calls
    are refused at once for `reset_seconds`; then the next call is the one trial (half-open)
    and the only call let through until it ends: its success closes the circuit, its failure
    opens it for another period, and a trial cancelled before its outcome lets the next call
    try instead.

    "In a row" is counted in the order calls started: a failure counts only if its call
    started after the last outcome that counted. Calls in flight together when products blips
    fail together and count once; a success resets the count. Once open, only the trial's
    outcome changes the state.
    """

    def __init__(
        self,
        *,
        failures: int,
        reset_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = failures
        self.reset_seconds = reset_seconds
        self.clock = clock
        self.failures = 0
        self.open_until: float | None = None  # None while closed
        self.trial_running = False
        self.started = 0  # calls let through so far
        self.counted_up_to = 0  # `started` when the last outcome counted

    @property
    def state(self) -> str:
        """`closed`, `open`, or `half_open` once the open period is over (the next call is,
        or is already, the trial)."""
        if self.open_until is None:
            return "closed"
        due = self.trial_running or self.open_until <= self.clock()
        return "half_open" if due else "open"

    @contextlib.contextmanager
    def call(self) -> Iterator[None]:
        """Let one call through or raise CircuitOpen; record how the call ended."""
        admitted = self._admit()
        try:
            yield
        except Exception:
            self._failed(admitted)
            raise
        except BaseException:
            # Cancelled, so no outcome: a trial hands its place to the next call.
            if admitted.trial:
                self.trial_running = False
            raise
        else:
            self._succeeded(admitted)

    def _admit(self) -> Admitted:
        trial = False
        if self.open_until is not None:
            if self.trial_running:
                raise CircuitOpen(
                    "Products has failed repeatedly; one call is checking whether it is back "
                    "(circuit half-open)"
                )
            remaining = self.open_until - self.clock()
            if remaining > 0:
                raise CircuitOpen(
                    f"Products has failed repeatedly; not asking it again until "
                    f"{retry_time(remaining)} (circuit open)"
                )
            self.trial_running = trial = True
        self.started += 1
        return Admitted(self.started, trial)

    def _succeeded(self, admitted: Admitted) -> None:
        if admitted.trial:
            logger.info("products answered the trial call; circuit closed")
        if admitted.trial or self.open_until is None:
            self.failures, self.open_until, self.trial_running = 0, None, False
            self.counted_up_to = self.started

    def _failed(self, admitted: Admitted) -> None:
        if admitted.trial:
            self._open("products failed the trial call")
        elif self.open_until is None and admitted.number > self.counted_up_to:
            self.failures += 1
            self.counted_up_to = self.started
            if self.failures >= self.threshold:
                self._open(f"products failed {self.failures} times in a row")

    def _open(self, reason: str) -> None:
        self.open_until = self.clock() + self.reset_seconds
        self.trial_running = False
        self.counted_up_to = self.started
        logger.warning("%s; circuit open until %s", reason, retry_time(self.reset_seconds))


def retry_time(seconds: float) -> str:
    """The wall-clock time `seconds` from now, in ISO 8601, rounded up to the second."""
    when = datetime.now(UTC) + timedelta(seconds=seconds)
    if when.microsecond:
        when = when.replace(microsecond=0) + timedelta(seconds=1)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")

"""The circuit breaker's counting on its own, with a clock the tests move and calls they
start and end by hand."""

from contextlib import AbstractContextManager

import pytest

from app.infrastructure.circuit_breaker import CircuitBreaker, CircuitOpen


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def breaker(clock: Clock) -> CircuitBreaker:
    return CircuitBreaker(failures=3, reset_seconds=10, clock=clock)


def start(breaker: CircuitBreaker) -> AbstractContextManager[None]:
    """Let a call through and leave it in flight."""
    call = breaker.call()
    call.__enter__()
    return call


def end_failing(call: AbstractContextManager[None]) -> None:
    error = ConnectionError()
    assert not call.__exit__(type(error), error, None)  # the breaker passes the error on


def fail(breaker: CircuitBreaker, times: int = 1) -> None:
    for _ in range(times):
        end_failing(start(breaker))


def succeed(breaker: CircuitBreaker) -> None:
    with breaker.call():
        pass


def test_failures_of_calls_that_started_before_the_last_success_do_not_count(breaker):
    fail(breaker, 2)
    early = start(breaker)
    succeed(breaker)
    end_failing(early)
    fail(breaker, 2)
    succeed(breaker)  # still closed: the early call's failure did not count


def test_failures_one_after_another_open_the_circuit_until_the_reset_time(breaker, clock):
    fail(breaker, 3)
    with pytest.raises(CircuitOpen, match=r"until \S+Z \(circuit open\)"):
        succeed(breaker)
    clock.now = 10.5
    succeed(breaker)  # the trial
    succeed(breaker)  # closed


def test_failures_of_calls_still_in_flight_when_it_opened_change_nothing(breaker, clock):
    late = start(breaker)
    fail(breaker, 3)
    clock.now = 9.0
    end_failing(late)
    clock.now = 10.5
    succeed(breaker)  # the open period ran from the third failure, not from the late one


def test_while_the_trial_runs_every_other_call_is_refused(breaker, clock):
    fail(breaker, 3)
    clock.now = 10.5
    trial = start(breaker)
    with pytest.raises(CircuitOpen, match=r"\(circuit half-open\)"):
        succeed(breaker)
    trial.__exit__(None, None, None)  # the trial succeeds
    succeed(breaker)  # closed


def test_its_state_is_closed_open_then_half_open_from_the_reset_time_until_the_trial_ends(
    breaker, clock
):
    states = [breaker.state]
    fail(breaker, 3)
    states.append(breaker.state)
    clock.now = 10.5
    states.append(breaker.state)  # the next call will be the trial
    trial = start(breaker)
    states.append(breaker.state)
    trial.__exit__(None, None, None)
    states.append(breaker.state)

    assert states == ["closed", "open", "half_open", "half_open", "closed"]

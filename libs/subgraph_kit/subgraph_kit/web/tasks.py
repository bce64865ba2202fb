"""Background work of a service process: the outbox relay and periodic housekeeping."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import anyio

from subgraph_kit.core.outbox import OutboxRelay

logger = logging.getLogger("app")


async def relay_forever(relay: OutboxRelay) -> None:
    """Deliver pending events in a worker thread every `relay.interval` seconds until cancelled."""
    while True:
        try:
            await anyio.to_thread.run_sync(relay.run_once)
        except Exception:
            logger.exception("outbox relay pass failed")
        await asyncio.sleep(relay.interval)


async def drain(relay: OutboxRelay) -> None:
    """Deliver what is pending now; called at shutdown, after the polling task stopped."""
    try:
        delivered = await anyio.to_thread.run_sync(relay.run_once)
    except Exception:
        logger.exception("outbox relay could not drain at shutdown")
        return
    logger.info("outbox relay drained %d event(s) at shutdown", delivered)


async def every(seconds: float, job: Callable[[], object]) -> None:
    """Run a blocking housekeeping job in a worker thread every `seconds` until cancelled."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await anyio.to_thread.run_sync(job)
        except Exception:
            logger.exception("housekeeping job failed")

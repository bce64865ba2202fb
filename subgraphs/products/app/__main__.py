"""Operational commands: `python -m app relay` delivers pending outbox events once."""

from subgraph_kit.commands import main

from app.infrastructure.api.dependencies import build_runtime
from app.settings import get_settings

if __name__ == "__main__":
    main(get_settings, build_runtime)

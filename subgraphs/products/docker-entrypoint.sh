#!/bin/sh
# `serve` (the image's CMD): apply the migrations, then replace this shell with the server so it
# is PID 1 and receives SIGTERM directly. subgraph-serve is uvicorn's command line that exits 0
# after a graceful stop. Extra arguments after `serve` go to uvicorn.
# WEB_CONCURRENCY (unset or empty: 1) is how many uvicorn workers subgraph-serve starts.
# Anything else runs as given: `pytest --cov=app`, `alembic upgrade head`, `sh`.
set -eu

if [ "$#" -eq 0 ] || [ "$1" = "serve" ]; then
    [ "$#" -eq 0 ] || shift
    alembic upgrade head
    exec subgraph-serve --factory app.main:create_app \
        --host 0.0.0.0 --port "${PORT:-8000}" --proxy-headers \
        --timeout-graceful-shutdown "${SHUTDOWN_GRACE_SECONDS:-25}" "$@"
fi

exec "$@"

#!/bin/sh
# Run by the postgres image on its first start (empty volume): one database per subgraph.
# The `postgres` database stays for the test suites (TEST_POSTGRES_URL), which create their own.
# Only `set -e`: should the image source this file instead of running it, `-u` would leak.
set -e

for database in products inventory; do
    psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
        -c "CREATE DATABASE \"${database}\""
done

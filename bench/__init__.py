"""`make bench`: throughput, latency and SQL cost of the subgraphs beside a plain-SQL floor.

Run it as `python -m bench` from the repository root (see `bench/cli.py` for the options).
Nothing here is imported by the services; code that must run inside a service (seeding,
statement counts) lives in `bench/service_tasks.py` and runs in a subprocess whose working
directory is that service's folder, because both services' packages are named `app`.
"""

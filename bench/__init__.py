"""`make bench`: the subgraphs' throughput, latency and SQL cost beside a plain-SQL floor."""

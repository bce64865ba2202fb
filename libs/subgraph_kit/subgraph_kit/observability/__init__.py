"""What a subgraph tells its operators: OpenTelemetry traces, Prometheus metrics, and the trace
ids its log lines carry."""

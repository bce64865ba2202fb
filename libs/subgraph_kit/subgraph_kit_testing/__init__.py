"""Test support for the subgraphs' suites, loaded as the pytest plugin `.plugin`.

Kept apart from `subgraph_kit` so the runtime package never imports pytest.
"""

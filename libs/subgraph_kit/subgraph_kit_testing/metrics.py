"""Reading GET /metrics in tests: every sample by name and labels, and how each one moved."""

from __future__ import annotations

from collections import Counter

from prometheus_client.parser import text_string_to_metric_families

Samples = Counter[tuple[str, frozenset[tuple[str, str]]]]


def samples_of(text: str) -> Samples:
    """Every sample of a Prometheus text exposition, by name and labels."""
    samples: Samples = Counter()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[sample.name, frozenset(sample.labels.items())] = sample.value
    return samples


def moved(before: Samples, after: Samples, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """How each labelled series of `name` moved, the ones that did not move left out."""
    return {
        tuple(sorted(key[1])): after[key] - before[key]
        for key in after.keys() | before.keys()
        if key[0] == name and after[key] != before[key]
    }

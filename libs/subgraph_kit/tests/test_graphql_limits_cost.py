"""The depth and alias limits cost one pass over the document, and answer what Strawberry's own
limiters answer (depth from 0 at the top-level fields; aliases counted as if every fragment
were expanded where it is spread)."""

from __future__ import annotations

import time

from graphql import parse, validate
from hypothesis import given, settings
from hypothesis import strategies as st
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter
from subgraph_kit.graphql.limits import document_limits
from tiny_subgraph.api import schema

LIMITS = [document_limits(max_depth=12, max_aliases=30)]
STRAWBERRY = [
    *QueryDepthLimiter(max_depth=12).validation_rules,
    *MaxAliasesLimiter(max_alias_count=30).validation_rules,
]


def limit_errors(document: str, rules: list) -> list[str]:
    return sorted(error.message for error in validate(schema._schema, parse(document), rules))


def fan_out(levels: int, leaf: str = "__typename") -> str:
    """Each fragment spreads the next one twice: 2^levels paths through ~40 bytes a level."""
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels - 1)]
    fragments.append(f"fragment F{levels - 1} on Query {{ {leaf} }}")
    return "query Fan { ...F0 }\n" + "\n".join(fragments)


def test_a_fragment_fan_out_is_measured_in_milliseconds():
    document = fan_out(40, leaf="a: __typename")  # 2^39 aliases once expanded, 1.6 KB
    started = time.perf_counter()
    errors = limit_errors(document, LIMITS)
    assert time.perf_counter() - started < 0.05
    assert errors == [f"{2**39} aliases found. Allowed: 30"]


def test_a_fan_out_without_aliases_passes_the_limits():
    assert limit_errors(fan_out(40), LIMITS) == []


def test_depth_is_measured_through_fragments_once_each():
    deep = "nest { " * 13 + "__typename" + " }" * 13
    fragments = f"fragment A on Query {{ ...B ...B }} fragment B on Query {{ {deep} }}"
    document = f"query Deep {{ ...A }} {fragments}"
    assert limit_errors(document, LIMITS) == ["'Deep' exceeds maximum operation depth of 12"]


FIELDS = st.sampled_from(["__typename", "boom", "nest { __typename }", "nest { inner { boom } }"])


@st.composite
def documents(draw: st.DrawFn) -> str:
    """An operation and up to four acyclic fragments, with aliases and nesting."""
    count = draw(st.integers(0, 4))

    def selection(spreadable: range) -> str:
        parts = []
        for _ in range(draw(st.integers(1, 4))):
            kind = draw(st.sampled_from(["field", "alias", "nest", "spread"]))
            if kind == "spread" and len(spreadable):
                parts.append(f"...F{draw(st.sampled_from(list(spreadable)))}")
            elif kind == "nest":
                inner = draw(st.integers(1, 14))
                parts.append("nest { " * inner + "__typename" + " }" * inner)
            elif kind == "alias":
                parts.append(f"a{draw(st.integers(0, 99))}: {draw(FIELDS)}")
            else:
                parts.append(draw(FIELDS))
        return " ".join(parts)

    # A fragment spreads only later ones, so there is no cycle.
    fragments = [
        f"fragment F{i} on Query {{ {selection(range(i + 1, count))} }}" for i in range(count)
    ]
    return f"query Q {{ {selection(range(count))} }}\n" + "\n".join(fragments)


@settings(max_examples=300, deadline=None)
@given(documents())
def test_the_limits_answer_what_strawberrys_limiters_answer(document: str):
    ours = limit_errors(document, LIMITS)
    theirs = limit_errors(document, STRAWBERRY)
    # Strawberry reports a too-deep operation once per path that crosses the limit; we once.
    assert ours == sorted(set(theirs))

"""Differential checks of the GraphQL fast path (`subgraph_kit.graphql.fast_path`): a document
run with it and without it, the two answers compared as the bytes a client would get; and a
Hypothesis strategy of query documents over any schema (aliases, inline and named fragments,
`@include`/`@skip` with literals and variables, arguments from a pool of good and bad values).
"""

from __future__ import annotations

import ast
import asyncio
import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
    is_leaf_type,
    is_non_null_type,
    parse,
)
from graphql.language import OperationDefinitionNode, OperationType
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Literals by an argument's named type; a service adds its own by argument name.
LITERALS = {
    "Int": ["-1", "0", "1", "3", "101"],
    "String": ["null", '"x"', '"WyJ4Il0"'],
    "Boolean": ["true", "false", "$yes", "$no"],
    "ID": ['"not-a-uuid"', '"00000000-0000-4000-8000-000000000000"'],
}
VARIABLES = {"yes": True, "no": False}


async def answer(schema: Any, query: str, variables: dict[str, Any], context: Any) -> str:
    """The answer as JSON, as the HTTP edge writes it: data, errors, extensions."""
    result = await schema.execute(query, variable_values=variables, context_value=context)
    document: dict[str, Any] = {"data": result.data}
    if result.errors:
        document["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        document["extensions"] = result.extensions
    return json.dumps(document)


async def both_ways(
    schema: Any, query: str, variables: dict[str, Any], context: Callable[[], Any]
) -> tuple[str, str]:
    """The answers with the fast path and without it, each in a fresh `context()`."""
    fast, plain = context(), context()
    fast.graphql_fast_path, plain.graphql_fast_path = True, False
    return (
        await answer(schema, query, variables, fast),
        await answer(schema, query, variables, plain),
    )


def differential_tests(
    schema: Any,
    *,
    state: Any,
    context: Callable[[Any], Any],
    tests: Path,
    variables: dict[str, Any],
    literals: dict[str, list[str]],
    among: tuple[str, ...],
    examples: int = 150,
) -> tuple[Callable[..., None], ...]:
    """A service's tests: its suites' queries (under `tests`, with `variables`; `among` says
    what some must ask) and generated documents, each answered alike both ways over a copy of
    the fakes' `state` (`context(state)` makes a request's context)."""
    queries = suite_queries(tests)

    def test_the_suites_queries_include_the_main_reads() -> None:
        assert all(any(text in query for query in queries) for text in among)

    def run(query: str, values: dict[str, Any]) -> tuple[str, str]:
        copied = copy.deepcopy(state)
        return asyncio.run(both_ways(schema, query, values, lambda: context(copied)))

    @pytest.mark.parametrize("query", queries)
    def test_the_suites_queries_answer_alike_both_ways(query: str) -> None:
        fast, plain = run(query, variables)
        assert fast == plain

    @settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(documents(schema._schema, literals))
    def test_generated_documents_answer_alike_both_ways(query: str) -> None:
        fast, plain = run(query, VARIABLES)
        assert fast == plain

    return (
        test_the_suites_queries_include_the_main_reads,
        test_the_suites_queries_answer_alike_both_ways,
        test_generated_documents_answer_alike_both_ways,
    )


def suite_queries(folder: Path) -> list[str]:
    """Every string literal in the Python files under `folder` that is a GraphQL document of
    queries only: what a test suite sends (reads; a write's answer would differ run to run)."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "{" in node.value:
                try:
                    document = parse(node.value)
                except GraphQLError:
                    continue
                operations = [
                    d for d in document.definitions if isinstance(d, OperationDefinitionNode)
                ]
                if operations and all(o.operation == OperationType.QUERY for o in operations):
                    found.append(node.value)
    return sorted(set(found))


@st.composite
def documents(
    draw: st.DrawFn, schema: GraphQLSchema, literals: dict[str, list[str]], depth: int = 4
) -> str:
    """A query document over `schema`'s Query type; `literals` by argument or type name."""
    pool, fragments = LITERALS | literals, []
    body = draw(selection(schema, schema.query_type, pool, fragments, depth))  # type: ignore[arg-type]
    text = f"{{ {body} }} {' '.join(fragments)}"
    declared = [f"${name}: Boolean!" for name in VARIABLES if f"${name}" in text]
    return f"query Q({', '.join(declared)}) {text}" if declared else f"query Q {text}"


@st.composite
def selection(
    draw: st.DrawFn,
    schema: GraphQLSchema,
    type_: GraphQLNamedType,
    pool: dict[str, list[str]],
    fragments: list[str],
    depth: int,
) -> str:
    """A selection set's content for `type_` (an object or a union)."""
    if isinstance(type_, GraphQLUnionType):
        parts = []
        for member in draw(st.lists(st.sampled_from(type_.types), min_size=1, max_size=2)):
            inner = draw(selection(schema, member, pool, fragments, depth))
            parts.append(f"... on {member.name} {{ {inner} }}")
        return " ".join(parts + ["__typename"] * draw(st.integers(0, 1)))
    assert isinstance(type_, GraphQLObjectType)
    usable = {name: field for name, field in type_.fields.items() if askable(field, pool, depth)}
    names = (
        draw(st.lists(st.sampled_from(sorted(usable)), min_size=1, max_size=4)) if usable else []
    )
    parts = [draw(one_field(schema, name, usable[name], pool, fragments, depth)) for name in names]
    parts += ["__typename"] * (draw(st.integers(0, 3)) == 0 or not parts)
    wrap = draw(st.sampled_from(["", "inline", "named"]))
    if wrap == "inline":
        return f"... on {type_.name} {{ {' '.join(parts)} }}"
    if wrap == "named":
        name = f"F{len(fragments)}"
        fragments.append(f"fragment {name} on {type_.name} {{ {' '.join(parts)} }}")
        return f"...{name}"
    return " ".join(parts)


def askable(field: GraphQLField, pool: dict[str, list[str]], depth: int) -> bool:
    """Whether a field can be asked: its required arguments have literals, it has depth left."""
    named = get_named_type(field.type)
    if not is_leaf_type(named) and depth <= 1:
        return False
    return all(
        literal_names(name, argument.type, pool) or not is_non_null_type(argument.type)
        for name, argument in field.args.items()
    )


def literal_names(name: str, type_: Any, pool: dict[str, list[str]]) -> list[str]:
    """The literals an argument may take: by its name, else by its type."""
    named = get_named_type(type_)
    if name in pool:
        return pool[name]
    if isinstance(named, GraphQLEnumType):
        return list(named.values)
    if isinstance(named, GraphQLInputObjectType):
        return []
    return pool.get(named.name, [])


@st.composite
def one_field(
    draw: st.DrawFn,
    schema: GraphQLSchema,
    name: str,
    field: GraphQLField,
    pool: dict[str, list[str]],
    fragments: list[str],
    depth: int,
) -> str:
    """`alias: name(arguments) @directive { selection }`."""
    arguments = []
    for argument_name, argument in field.args.items():
        literals = literal_names(argument_name, argument.type, pool)
        if literals and (is_non_null_type(argument.type) or draw(st.booleans())):
            arguments.append(f"{argument_name}: {draw(st.sampled_from(literals))}")
    text = name + (f"({', '.join(arguments)})" if arguments else "")
    if arguments:  # a name of its own: the same field with other arguments would conflict
        text = f"{name}_{draw(st.integers(0, 10**6))}: {text}"
    elif draw(st.integers(0, 3)) == 0:  # an alias, or the same name twice (merged)
        text = f"{draw(st.sampled_from([f'{name}_a', name]))}: {text}"
    directive = draw(st.sampled_from(["", "", "", "@include(if: $yes)", "@skip(if: $no)"]))
    directive = directive or draw(st.sampled_from(["", "@skip(if: true)", "@include(if: $no)"]))
    named = get_named_type(field.type)
    if is_leaf_type(named):
        return f"{text} {directive}"
    inner = draw(selection(schema, named, pool, fragments, depth - 1))
    return f"{text} {directive} {{ {inner} }}"

"""Objects of a list completed by one function compiled for their selection.

A page of 100 products asks the same plain fields of every node: graphql-core (and the fast
path's `execute_fields`) walks the selection anew for each. When every field of an object's
selection, nested objects included, is a Plain attribute (`fast_path.plan`) or `__typename`,
`completer` writes the walk out once as Python source: a function that reads the attributes,
coerces the leaves and returns the object's dict, or SLOW as soon as a value is not the plain
happy case (None where the type forbids it, an awaitable, an exception, a failed coercion).
The caller then completes that item the ordinary way, so errors, their paths and null
propagation stay graphql-core's; the function has read attributes and nothing else.

A function is compiled once per shape of selection (types, fields and response names; the
`@include`/`@skip` directives and fragments are already applied by graphql-core's field
collection) and kept, a bounded number of them; what it returns is built anew each time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLEnumType, GraphQLInt, GraphQLLeafType, GraphQLObjectType, GraphQLSchema
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import Undefined

from subgraph_kit.graphql.plans import Plain, plan, settled_types

SLOW: Any = object()  # what a completer returns for an item it leaves to the ordinary path
KEPT = 256  # compiled functions kept (the oldest go first): a few per document
INT_RANGE = (-(2**31), 2**31 - 1)  # GraphQL's Int, whose coercion returns these unchanged

# (schema id, shape) -> (schema, the compiled function): the schema kept alive with it.
_compiled: dict[tuple[int, Any], tuple[GraphQLSchema, Callable[..., Any]]] = {}

Collect = Callable[[GraphQLObjectType, FieldDetailsList], Any]


def shape(
    schema: GraphQLSchema,
    object_type: GraphQLObjectType,
    grouped: GroupedFieldSet,
    collect: Collect,
) -> tuple[Any, ...] | None:
    """The selection's shape: per response name, `__typename`, a leaf or an object (with its
    own shape); None if a field is anything else (arguments, a resolver, a list, a deferral)."""
    found: list[Any] = []
    for response_name, field_details_list in grouped.items():
        node = field_details_list[0].node
        name = node.name.value
        if name == "__typename":
            found.append((response_name, name, None))
            continue
        field = schema.get_field(object_type, name)
        plain = plan(field) if field is not None and not node.arguments else None
        if plain is None or not plain.attribute.isidentifier():
            return None
        inner = None
        if plain.object_type is not None:
            subfields, defers, _ = collect(plain.object_type, field_details_list)
            inner = None if defers else shape(schema, plain.object_type, subfields, collect)
            if inner is None:
                return None
        found.append((response_name, name, inner))
    return (object_type.name, tuple(found))


def completer(
    schema: GraphQLSchema, object_type: GraphQLObjectType, described: tuple[Any, ...]
) -> Callable[..., Any]:
    """The function for a shape: `complete(item, settled)` returns the item's dict or SLOW;
    `settled(value)` tells whether a value of a new type is neither awaitable nor an error."""
    key = (id(schema), described)
    known = _compiled.get(key)
    if known is not None:
        return known[1]
    source = Source(schema)
    result = source.object(object_type, described[1], "item", 1)
    text = "def complete(item, settled):\n try:\n" + "".join(source.lines)
    text += f"  return {result}\n except Exception:\n  return SLOW\n"
    names = source.names | {"SLOW": SLOW, "SETTLED": settled_types}
    exec(compile(text, f"<completer of {object_type.name}>", "exec"), names)
    while len(_compiled) >= KEPT:
        del _compiled[next(iter(_compiled))]
    _compiled[key] = (schema, names["complete"])
    return names["complete"]  # type: ignore[no-any-return]


class Source:
    """The lines of a completer, and the names (types, coercions) they use."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema, self.lines, self.names = schema, [], {}
        self.count = 0

    def name(self, value: Any) -> str:
        self.count += 1
        named = f"n{self.count}"
        self.names[named] = value
        return named

    def add(self, depth: int, line: str) -> None:
        self.lines.append(" " * (depth + 1) + line + "\n")

    def object(
        self, object_type: GraphQLObjectType, fields: tuple[Any, ...], source: str, depth: int
    ) -> str:
        """Lines that read `source`'s fields; the expression of the dict they make."""
        parts = []
        for response_name, name, inner in fields:
            if name == "__typename":
                parts.append(f"{response_name!r}: {object_type.name!r}")
                continue
            field = self.schema.get_field(object_type, name)
            plain = plan(field)  # type: ignore[arg-type]
            assert plain is not None  # shape() made sure
            self.count += 1
            value = f"v{self.count}"
            self.add(depth, f"{value} = {source}.{plain.attribute}")
            if plain.leaf is not None:
                self.leaf(plain, value, depth)
            else:
                self.add(depth, f"if {value} is None:")
                self.add(depth + 1, "pass" if plain.nullable else "return SLOW")
                self.add(depth, "else:")
                inside = depth + 1
                self.add(inside, f"if type({value}) not in SETTLED and not settled({value}):")
                self.add(inside + 1, "return SLOW")
                made = self.object(plain.object_type, inner[1], value, inside)  # type: ignore[arg-type]
                self.add(inside, f"{value} = {made}")
            parts.append(f"{response_name!r}: {value}")
        return "{" + ", ".join(parts) + "}"

    def leaf(self, plain: Plain, value: str, depth: int) -> None:
        """Lines that leave `value` coerced as graphql-core's `complete_leaf_value` would: left
        as it is where the coercion would return it unchanged, looked up for an enum member,
        else coerced (None, an awaitable, an error or a coercion to nothing: SLOW)."""
        leaf: Any = plain.leaf
        nullable, members = plain.nullable, enum_names(leaf)
        if plain.same is not None:
            unchanged = f"type({value}) is {self.name(plain.same)}"
        elif leaf is GraphQLInt:
            low, high = INT_RANGE
            unchanged = f"type({value}) is int and {low} <= {value} <= {high}"
        else:
            unchanged = None
        step = depth
        if nullable or unchanged:
            guard = " and ".join(
                ([f"{value} is not None"] if nullable else [])
                + ([f"not ({unchanged})"] if unchanged else [])
            )
            self.add(depth, f"if {guard}:")
            step = depth + 1
        if members:
            enum = self.name(getattr(leaf, "wrapped_cls", None))
            self.add(step, f"if type({value}) is {enum}:")
            self.add(step + 1, f"{value} = {self.name(members)}[{value}]")
            self.add(step, "else:")
            step += 1
        if not nullable:
            self.add(step, f"if {value} is None:")
            self.add(step + 1, "return SLOW")
        self.add(step, f"if type({value}) not in SETTLED and not settled({value}):")
        self.add(step + 1, "return SLOW")
        self.add(step, f"{value} = {self.name(leaf.coerce_output_value)}({value})")
        self.add(step, f"if {value} is None or {value} is {self.name(Undefined)}:")
        self.add(step + 1, "return SLOW")


def enum_names(leaf: GraphQLLeafType) -> dict[Any, str]:
    """For an enum whose Python class Strawberry knows, each member's GraphQL name as its
    coercion gives it (a member it refuses: left out, so that it takes the ordinary path)."""
    wrapped = getattr(leaf, "wrapped_cls", None)
    if not isinstance(leaf, GraphQLEnumType) or not isinstance(wrapped, type):
        return {}
    names = {}
    for member in wrapped:  # type: ignore[var-annotated]
        try:
            name = leaf.coerce_output_value(member)
        except Exception:
            continue
        if isinstance(name, str):
            names[member] = name
    return names

"""Which fields complete without graphql-core's per-field machinery: a Strawberry field
without resolver (an attribute) of a scalar, enum or object type, with no arguments. The fast
path (`fast_path.py`) and the compiled completers (`compiled.py`) both go by these plans."""

from __future__ import annotations

from typing import Any, NamedTuple

from graphql import (
    GraphQLBoolean,
    GraphQLField,
    GraphQLID,
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLString,
    is_leaf_type,
    is_object_type,
)
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField


class Plain(NamedTuple):
    """How to complete one field without graphql-core's per-field machinery."""

    attribute: str  # the Python attribute the default resolver reads
    type: GraphQLOutputType  # the field's type, whose nullability decides where errors stop
    nullable: bool
    leaf: GraphQLLeafType | None  # a scalar or enum, else
    object_type: GraphQLObjectType | None  # an object type without `is_type_of`
    same: type | None  # values of this exact type the leaf's coercion returns unchanged


# The built-in scalars whose coercion returns a value of this exact type as it is.
UNCHANGED: dict[GraphQLScalarType, type] = {
    GraphQLString: str,
    GraphQLID: str,
    GraphQLBoolean: bool,
}
# Types whose values are neither exceptions nor awaitable (both are properties of the type),
# learnt as they come: graphql-core's `complete_value` checks each value for both.
settled_types: set[type] = {str, int, float, bool}

# By id of a GraphQLField (unhashable), kept alive beside its Plain, or None, so the id
# cannot be reused; a schema's fields live as long as the process.
_plans: dict[int, tuple[GraphQLField, Plain | None]] = {}


def plan(field: GraphQLField) -> Plain | None:
    """The field's Plain if it is an attribute of a leaf or plain object type, else None."""
    known = _plans.get(id(field))
    if known is not None:
        return known[1]
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    found = None
    if (
        isinstance(definition, StrawberryField)
        and definition.is_basic_field
        and getattr(field.resolve, "_is_default", False)
        and not field.args
        and definition.python_name
    ):
        nullable = not isinstance(field.type, GraphQLNonNull)
        named: Any = field.type if nullable else field.type.of_type  # type: ignore[attr-defined]
        attribute = definition.python_name
        if is_leaf_type(named):
            same = UNCHANGED.get(named)
            found = Plain(attribute, field.type, nullable, named, None, same)
        elif is_object_type(named) and named.is_type_of is None:
            found = Plain(attribute, field.type, nullable, None, named, None)
    _plans[id(field)] = (field, found)
    return found


def settled(value: Any, is_awaitable: Any) -> bool:
    """Whether `value` is neither an exception nor awaitable, remembering its type if so."""
    kind = type(value)
    if kind in settled_types:
        return True
    if value.__class__ is not kind or isinstance(value, Exception) or is_awaitable(value):
        return False
    settled_types.add(kind)
    return True

"""A faster executor for plain fields: the same answers as graphql-core's, with less per-field work.

graphql-core completes every field alike: a path, an info object, the resolver through its
wrappers, then `complete_value` down the type's wrappers. Most of a page's fields are none
of that: a Strawberry field without resolver (an attribute) of a scalar, enum or object type,
no arguments, no middleware. For those, `execute_fields` reads the attribute and coerces the
leaf itself (an object's fields go on through `execute_fields`); whatever is not the plain
happy case (null where it may not be, an awaitable, an exception, a failed coercion, an
`is_type_of` check, `@defer`) runs the field through graphql-core's own `execute_field`, so
errors, their paths and null propagation are graphql-core's.

It overrides graphql-core's `Executor.execute_fields`, which is not public API: the versions
it was written against are pinned (requirements.txt) and `tests/test_graphql_fast_path.py`
fails when they change. GRAPHQL_FAST_PATH=0 (`ServiceSettings.graphql_fast_path`) turns it
off; outside an app, a context's `graphql_fast_path` decides (the differential tests set it),
else the variable itself.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable
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
    is_abstract_type,
    is_leaf_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import AwaitableOrValue, Path, Undefined, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

OFF = {"0", "false", "f", "no", "n", "off"}  # what pydantic reads as False
# What the fast path was written against: tests/test_graphql_fast_path.py checks these.
WRITTEN_FOR = {"graphql-core": "3.3.2", "strawberry-graphql": "0.341.2"}


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
_settled: set[type] = {str, int, float, bool}

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
    if kind in _settled:
        return True
    if value.__class__ is not kind or isinstance(value, Exception) or is_awaitable(value):
        return False
    _settled.add(kind)
    return True


def wanted(context: Any) -> bool:
    """Whether this request may take the fast path: the app's setting; outside an app (a
    schema executed in tests) the context's `graphql_fast_path`, else GRAPHQL_FAST_PATH."""
    request = getattr(context, "request", None)
    runtime = getattr(getattr(getattr(request, "app", None), "state", None), "runtime", None)
    if runtime is not None:
        return bool(runtime.settings.graphql_fast_path)
    said = getattr(context, "graphql_fast_path", None)
    if said is not None:
        return bool(said)
    return os.environ.get("GRAPHQL_FAST_PATH", "").strip().lower() not in OFF


class FastExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, with plain fields completed directly (see the module)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        middleware = self.middleware_manager
        self.fast = wanted(self.context_value) and not (middleware and middleware.middlewares)
        self.step_cache: dict[tuple[str, int], tuple[GroupedFieldSet, list[Any]]] = {}

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        if not self.fast:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        # graphql-core's loop (Executor.execute_fields), with the plain fields completed first.
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for response_name, field_details_list, found in self.steps(
                parent_type, grouped_field_set
            ):
                result: Any = Undefined
                if found is not None:
                    try:
                        value = getattr(source_value, found.attribute)
                    except Exception:
                        value = Undefined
                    if value is None:
                        if found.nullable:
                            results[response_name] = None
                            continue
                    elif value is Undefined:
                        pass
                    elif found.leaf is not None:
                        if type(value) is found.same:
                            results[response_name] = value
                            continue
                        if type(value) in _settled or settled(value, is_awaitable):
                            try:
                                coerced = found.leaf.coerce_output_value(value)
                            except Exception:
                                coerced = None
                            if coerced is not None and coerced is not Undefined:
                                results[response_name] = coerced
                                continue
                    elif type(value) in _settled or settled(value, is_awaitable):
                        result = self.plain_object(
                            found, value, path, response_name, parent_type, field_details_list
                        )
                        if type(result) is dict:  # completed, not awaitable
                            results[response_name] = result
                            continue
                if result is Undefined:
                    field_path = Path(path, response_name, parent_type.name)
                    result = self.execute_field(
                        parent_type, source_value, field_details_list, field_path, position_context
                    )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if not awaitable_fields:
            return results
        return self.gather_fields(results, awaitable_fields)

    def steps(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> list[tuple[str, FieldDetailsList, Plain | None]]:
        """Each field of the set with its Plain (None: graphql-core completes it), once per
        request: graphql-core collects a list's items' subfields once, in one object."""
        key = (parent_type.name, id(grouped_field_set))
        known = self.step_cache.get(key)
        if known is not None:
            return known[1]
        found = []
        for response_name, field_details_list in grouped_field_set.items():
            node = field_details_list[0].node
            field = self.schema.get_field(parent_type, node.name.value)
            plain = plan(field) if field is not None and not node.arguments else None
            found.append((response_name, field_details_list, plain))
        self.step_cache[key] = (grouped_field_set, found)
        return found

    def plain_object(
        self,
        found: Plain,
        value: Any,
        path: Path | None,
        response_name: str,
        parent_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
    ) -> Any:
        """An object field completed as `execute_field` would, or Undefined for it to."""
        object_type: GraphQLObjectType = found.object_type  # type: ignore[assignment]
        grouped, defers, _ = self.collect_subfields(object_type, field_details_list)
        if defers:
            return Undefined
        field_path = Path(path, response_name, parent_type.name)
        try:
            completed = self.execute_fields(object_type, value, field_path, grouped, None)
        except Exception as error:
            self.handle_field_error(error, found.type, field_details_list, field_path)
            return None
        if not self.is_awaitable(completed):
            return completed
        return self.await_field(completed, found.type, field_details_list, field_path)

    def complete_list_item_value(
        self,
        item: Any,
        complete_results: list[Any],
        item_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: Any,
        item_path: Path,
        position_context: Any,
    ) -> bool:
        """A list's object item (or an abstract type's, once resolved) completed as
        graphql-core's `complete_list_item_value` would (True: the appended value is
        awaitable); anything else it completes itself."""
        if self.fast and item is not None and settled(item, self.is_awaitable):
            try:
                object_type = self.runtime_type(item_type, item, field_details_list, info)
            except Exception as error:
                self.handle_field_error(error, item_type, field_details_list, item_path)
                complete_results.append(None)
                return False
            grouped, defers, _ = (
                self.collect_subfields(object_type, field_details_list)
                if object_type is not None
                else (None, True, None)
            )
            if not defers:
                try:
                    completed = self.execute_fields(object_type, item, item_path, grouped, None)  # type: ignore[arg-type]
                except Exception as error:
                    self.handle_field_error(error, item_type, field_details_list, item_path)
                    complete_results.append(None)
                    return False
                if self.is_awaitable(completed):
                    awaited = self.await_field(completed, item_type, field_details_list, item_path)
                    complete_results.append(awaited)
                    return True
                complete_results.append(completed)
                return False
        return super().complete_list_item_value(
            item,
            complete_results,
            item_type,
            field_details_list,
            info,
            item_path,
            position_context,
        )

    def runtime_type(
        self,
        item_type: GraphQLOutputType,
        item: Any,
        field_details_list: FieldDetailsList,
        info: Any,
    ) -> GraphQLObjectType | None:
        """The object type without `is_type_of` an item completes as: its type, or what its
        abstract type resolves it to (as `complete_abstract_value` does); None for any other."""
        named = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        if is_abstract_type(named) and named.resolve_type is not None:  # type: ignore[union-attr]
            resolved = named.resolve_type(item, info, named)  # type: ignore[union-attr]
            if not isinstance(resolved, str):
                return None
            named = self.ensure_valid_runtime_type(resolved, named, field_details_list, info, item)
        return named if is_object_type(named) and named.is_type_of is None else None  # type: ignore[union-attr,return-value]

    async def await_field(
        self,
        completed: Awaitable[Any],
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        field_path: Path,
    ) -> Any:
        """As graphql-core awaits a completed object: an error is the field's (or item's)."""
        try:
            return await completed
        except Exception as error:
            self.handle_field_error(error, return_type, field_details_list, field_path)
            return None

    async def gather_fields(
        self, results: dict[str, Any], awaitable_fields: list[str]
    ) -> dict[str, Any]:
        """As `execute_fields` awaits the fields that returned awaitables."""
        if len(awaitable_fields) == 1:
            field = awaitable_fields[0]
            results[field] = await results[field]
        else:
            awaited = await gather_with_cancel(*(results[field] for field in awaitable_fields))
            results.update(zip(awaitable_fields, awaited, strict=True))
        return results

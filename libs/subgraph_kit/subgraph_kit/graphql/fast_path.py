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
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from graphql import (
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    is_abstract_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import AwaitableOrValue, Path, Undefined, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.cast import get_strawberry_type_cast

from subgraph_kit.graphql.compiled import SLOW, completer, shape
from subgraph_kit.graphql.plans import Plain, plan, settled, settled_types

__all__ = ["WRITTEN_FOR", "FastExecutionContext", "plan", "wanted"]

# Strawberry's resolver of a union's member types (strawberry/types/union.py).
UNION_RESOLVER = "StrawberryUnion.get_type_resolver.<locals>._resolve_union_type"
OFF = {"0", "false", "f", "no", "n", "off"}  # what pydantic reads as False
# What the fast path was written against: tests/test_graphql_fast_path.py checks these.
WRITTEN_FOR = {"graphql-core": "3.3.2", "strawberry-graphql": "0.341.2"}


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
        self.completers: dict[tuple[str, int], tuple[GroupedFieldSet, Any]] = {}
        self.resolved: dict[tuple[Any, type], tuple[Any, ...]] = {}
        is_awaitable = self.is_awaitable
        self.is_settled = lambda value: settled(value, is_awaitable)

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
                        if type(value) in settled_types or settled(value, is_awaitable):
                            try:
                                coerced = found.leaf.coerce_output_value(value)
                            except Exception:
                                coerced = None
                            if coerced is not None and coerced is not Undefined:
                                results[response_name] = coerced
                                continue
                    elif type(value) in settled_types or settled(value, is_awaitable):
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
        return self.gather(results, awaitable_fields)

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

    def complete_iterable_value(
        self,
        item_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: Any,
        path: Path,
        items: Iterable[Any],
        position_context: Any,
    ) -> AwaitableOrValue[list[Any]]:
        """A list of objects completed as graphql-core's `complete_iterable_value` would, each
        item by its selection's compiled completer (`compiled.py`) where it has one and the
        item is the plain case, else as graphql-core's loop completes it."""
        directives = field_details_list[0].node.directives
        if (
            not self.fast
            or type(items) is not list
            or (directives and self.get_stream_usage(field_details_list, path))
        ):
            return super().complete_iterable_value(
                item_type, field_details_list, info, path, items, position_context
            )
        named: Any = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        fixed = named if is_object_type(named) and named.is_type_of is None else None
        complete = None if fixed is None else self.completer(fixed, field_details_list)
        if complete is None and not is_abstract_type(named):
            return super().complete_iterable_value(
                item_type, field_details_list, info, path, items, position_context
            )
        nullable, is_awaitable, is_settled = named is item_type, self.is_awaitable, self.is_settled
        by_type: dict[Any, Any] = {}
        results: list[Any] = []
        awaitable: list[int] = []
        try:
            for index, item in enumerate(items):
                if item is None and nullable:
                    results.append(None)
                    continue
                done = SLOW
                if item is not None and (type(item) in settled_types or is_settled(item)):
                    if fixed is None:
                        complete = self.completer_of_item(
                            item_type, item, field_details_list, info, by_type
                        )
                    if complete is not None:
                        done = complete(item, is_settled)
                if done is not SLOW:
                    results.append(done)
                    continue
                item_path = path.add_key(index, None)
                if is_awaitable(item):
                    results.append(
                        self.complete_awaitable_list_item_value(
                            item, item_type, field_details_list, info, item_path, position_context
                        )
                    )
                    awaitable.append(index)
                elif self.complete_list_item_value(
                    item, results, item_type, field_details_list, info, item_path, position_context
                ):
                    awaitable.append(index)
        except Exception:
            if awaitable:
                self.settle_in_background([results[index] for index in awaitable])
            raise
        if not awaitable:
            return results
        return self.gather(results, awaitable)

    def completer(
        self, object_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> Callable[..., Any] | None:
        """The compiled completer of `object_type`'s selection here, or None (not all plain),
        looked up once per request and selection."""
        grouped, defers, _ = self.collect_subfields(object_type, field_details_list)
        key = (object_type.name, id(grouped))
        known = self.completers.get(key)
        if known is not None:
            return known[1]  # type: ignore[no-any-return]
        found = None
        if not defers:
            described = shape(self.schema, object_type, grouped, self.collect_subfields)
            found = None if described is None else completer(self.schema, object_type, described)
        self.completers[key] = (grouped, found)
        return found

    def completer_of_item(
        self,
        item_type: GraphQLOutputType,
        item: Any,
        field_details_list: FieldDetailsList,
        info: Any,
        by_type: dict[Any, Any],
    ) -> Callable[..., Any] | None:
        """The completer of the object type an abstract type's item resolves to, or None (it
        does not resolve to one: graphql-core then resolves it again and reports why)."""
        try:
            object_type = self.runtime_type(item_type, item, field_details_list, info)
        except Exception:
            return None
        if object_type is None:
            return None
        if object_type not in by_type:
            by_type[object_type] = self.completer(object_type, field_details_list)
        return by_type[object_type]  # type: ignore[no-any-return]

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
        named: Any = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        if is_abstract_type(named) and named.resolve_type is not None:
            # Resolved once per class where Strawberry's resolver would answer alike.
            key = (named, type(item))
            known = self.resolved.get(key)
            if (
                known is not None
                and known[1] is not None
                and getattr(item, "__strawberry_definition__", None) is known[1]
                and get_strawberry_type_cast(item) is None
            ):
                return known[0]  # type: ignore[no-any-return]
            resolved = named.resolve_type(item, info, named)
            if not isinstance(resolved, str):
                return None
            union = named
            named = self.ensure_valid_runtime_type(resolved, union, field_details_list, info, item)
            if known is None:
                plain = named if named.is_type_of is None else None
                self.resolved[key] = (plain, same_for_its_class(union, item))
        return named if is_object_type(named) and named.is_type_of is None else None

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

    async def gather(self, results: Any, keys: list[Any]) -> Any:
        """As graphql-core awaits the fields (`results` a dict) or the list items (a list)
        that completed to awaitables, under `keys`."""
        if len(keys) == 1:
            results[keys[0]] = await results[keys[0]]
        else:
            awaited = await gather_with_cancel(*(results[key] for key in keys))
            for key, value in zip(keys, awaited, strict=True):
                results[key] = value
        return results


def same_for_its_class(union: Any, item: Any) -> StrawberryObjectDefinition | None:
    """The item's Strawberry definition if Strawberry's union resolver answers alike for every
    item of its class that has that definition and no `strawberry.cast`: a plain (not generic)
    type, which the resolver matches by its definition, nothing of the item. Else None."""
    definition = getattr(item, "__strawberry_definition__", None)
    if (
        getattr(union.resolve_type, "__qualname__", "") != UNION_RESOLVER
        or not isinstance(definition, StrawberryObjectDefinition)
        or definition is not getattr(type(item), "__strawberry_definition__", None)
        or definition.concrete_of is not None
        or definition.is_graphql_generic
        or get_strawberry_type_cast(item) is not None
    ):
        return None
    return definition

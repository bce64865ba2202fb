"""The fast path's dependencies on graphql-core's internals, and its switch. That it answers as
the plain path does is each service's differential test (tests/unit/test_graphql_fast_path.py)."""

import inspect
from importlib import metadata
from types import SimpleNamespace

import pytest
import strawberry
from graphql.execution.executor import Executor
from subgraph_kit.graphql.fast_path import WRITTEN_FOR, FastExecutionContext, plan, wanted
from subgraph_kit.graphql.schema import SubgraphSchema
from subgraph_kit.settings import ServiceSettings

pytestmark = pytest.mark.anyio


@strawberry.type
class Item:
    name: str
    size: int | None

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return [Item(name="a", size=1), Item(name="b", size=None)]


@strawberry.type
class Mutation:
    @strawberry.mutation
    def noop(self) -> bool:
        return True


schema = SubgraphSchema(query=Query, mutation=Mutation)


@pytest.mark.parametrize("package", sorted(WRITTEN_FOR))
def test_the_installed_versions_are_those_the_fast_path_was_written_for(package: str):
    # Upgrading either? Read graphql-core's Executor.execute_fields, execute_field and
    # complete_iterable_value against fast_path.py, and Strawberry's union resolver against
    # its `same_for_its_class`, run the differential tests, then change WRITTEN_FOR.
    assert metadata.version(package) == WRITTEN_FOR[package]


def test_the_executor_methods_it_calls_keep_their_signatures():
    signatures = {
        "execute_fields": "(self, parent_type, source_value, path, grouped_field_set, "
        "position_context)",
        "execute_field": "(self, parent_type, source, field_details_list, path, position_context)",
        "collect_subfields": "(self, return_type, field_details_list)",
        "handle_field_error": "(self, raw_error, return_type, field_details_list, path)",
        "settle_in_background": "(self, awaitables)",
        "complete_list_item_value": "(self, item, complete_results, item_type, "
        "field_details_list, info, item_path, position_context)",
        "ensure_valid_runtime_type": "(self, runtime_type_name, return_type, "
        "field_details_list, info, result)",
        "complete_iterable_value": "(self, item_type, field_details_list, info, path, items, "
        "position_context)",
        "complete_awaitable_list_item_value": "(self, item, item_type, field_details_list, "
        "info, item_path, position_context)",
        "get_stream_usage": "(self, field_details_list, path)",
    }
    for name, expected in signatures.items():
        parameters = inspect.signature(getattr(Executor, name)).parameters
        assert f"({', '.join(parameters)})" == expected, name


def test_the_schema_executes_with_the_fast_executor():
    assert schema.execution_context_class is FastExecutionContext


def test_attributes_have_a_plan_and_resolvers_none():
    fields = schema._schema.type_map["Item"].fields  # type: ignore[union-attr]
    assert plan(fields["name"]).attribute == "name"  # type: ignore[union-attr]
    assert plan(fields["size"]).nullable  # type: ignore[union-attr]
    assert plan(fields["shout"]) is None


@pytest.mark.parametrize(("fast", "plain_fields"), [(True, 2), (False, 6)])
async def test_the_context_can_turn_the_fast_path_off(monkeypatch, fast, plain_fields):
    calls = []
    original = Executor.execute_field

    def counted(self, *args, **kwargs):
        calls.append(args[2][0].node.name.value)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Executor, "execute_field", counted)
    context = SimpleNamespace(graphql_fast_path=fast)
    result = await schema.execute("{ items { name size shout } }", context_value=context)
    assert result.data == {
        "items": [{"name": "a", "size": 1, "shout": "A"}, {"name": "b", "size": None, "shout": "B"}]
    }
    assert len([c for c in calls if c != "items"]) == plain_fields


@pytest.mark.parametrize(("value", "expected"), [("0", False), ("1", True), ("", True)])
def test_graphql_fast_path_is_a_setting_of_the_app(monkeypatch, value, expected):
    monkeypatch.setenv("GRAPHQL_FAST_PATH", value)
    settings = ServiceSettings(database_url="sqlite://")
    request = SimpleNamespace(
        app=SimpleNamespace(state=SimpleNamespace(runtime=SimpleNamespace(settings=settings)))
    )
    assert wanted(SimpleNamespace(request=request, graphql_fast_path=True)) is expected


@pytest.mark.parametrize(
    ("value", "expected"), [("0", False), ("off", False), ("1", True), ("", True)]
)
def test_outside_an_app_graphql_fast_path_is_read_from_the_environment(
    monkeypatch, value, expected
):
    monkeypatch.setenv("GRAPHQL_FAST_PATH", value)
    assert wanted(SimpleNamespace()) is expected

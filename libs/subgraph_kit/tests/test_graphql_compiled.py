"""Lists completed by compiled completers answer as the plain path does, item by item,
including the items a completer leaves to the ordinary path (nulls where the type forbids
them, awaitables, failed coercions, unresolvable union members)."""

import asyncio
import enum
import warnings
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, NewType

import pytest
import strawberry
from subgraph_kit.graphql import compiled
from subgraph_kit.graphql.fast_path import UNION_RESOLVER
from subgraph_kit.graphql.schema import SubgraphSchema
from subgraph_kit_testing.fast_path import both_ways

pytestmark = pytest.mark.anyio


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


with warnings.catch_warnings():  # a scalar that can coerce to nothing; no newer way says so
    warnings.simplefilter("ignore", DeprecationWarning)
    Odd = strawberry.scalar(
        NewType("Odd", int),
        serialize=lambda value: value if value % 2 else None,  # even: coerces to nothing
        parse_value=int,
    )


@strawberry.type
class Price:
    amount: Decimal
    currency: str


@strawberry.type
class Thing:
    id: strawberry.ID
    name: str
    size: int | None
    colour: Colour
    price: Price | None
    made: datetime
    odd: Odd | None  # type: ignore[valid-type]
    later: str | None


@strawberry.type
class Other:
    code: str


class Soon:
    """Awaitable (a coroutine nobody awaits would warn)."""

    def __await__(self):
        return asyncio.sleep(0, "soon").__await__()


def things() -> list[Thing | None]:
    made = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    price = Price(amount=Decimal("1.50"), currency="EUR")
    plain = {"size": 1, "colour": Colour.RED, "price": price, "made": made, "odd": 3}
    plain["later"] = None
    return [
        Thing(id=strawberry.ID("1"), name="one", **plain),  # type: ignore[arg-type]
        Thing(id=strawberry.ID("2"), name=None, **plain),  # type: ignore[arg-type]  # non-null
        Thing(id=strawberry.ID("3"), name="three", **plain | {"size": 2**31}),  # type: ignore[arg-type]
        Thing(id=strawberry.ID("4"), name="four", **plain | {"colour": "green"}),  # type: ignore[arg-type]
        Thing(id=strawberry.ID("5"), name="five", **plain | {"odd": 4}),  # type: ignore[arg-type]
        Thing(id=strawberry.ID("6"), name="six", **plain | {"price": None, "size": None}),  # type: ignore[arg-type]
        Thing(id=strawberry.ID("7"), name="seven", **plain | {"later": Soon()}),  # type: ignore[arg-type]
        Thing(id=7, name="eight", **plain | {"price": Price(amount="x", currency=None)}),  # type: ignore[arg-type]
        None,
    ]


Entity = Annotated[Thing | Other, strawberry.union("Entity")]


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Thing | None]:
        return things()

    @strawberry.field
    def strict(self) -> list[Thing]:
        return [thing for thing in things() if thing is not None]

    @strawberry.field
    def good(self) -> list[Thing]:
        return [things()[0], things()[5]]

    @strawberry.field
    def mixed(self) -> list[Entity | None]:  # type: ignore[valid-type]
        return [things()[0], Other(code="o"), None, object(), things()[1], Other(code=None)]  # type: ignore[list-item]


@strawberry.type
class Mutation:
    @strawberry.mutation
    def noop(self) -> bool:
        return True


schema = SubgraphSchema(query=Query, mutation=Mutation)
FIELDS = "id name size colour price { amount currency } made odd later"


def run(query: str) -> tuple[str, str]:
    return asyncio.run(both_ways(schema, query, {}, lambda: type("Context", (), {})()))


@pytest.mark.parametrize(
    "query",
    [
        f"{{ things {{ {FIELDS} }} }}",
        f"{{ strict {{ {FIELDS} }} }}",
        f"{{ good {{ {FIELDS} __typename }} }}",
        "{ good { a: name b: name name price { c: currency __typename } } }",
        "{ mixed { __typename ... on Thing { id name colour } ... on Other { code } } }",
        "{ mixed { ... on Other { code } } }",
        "{ good { id ... on Thing { price @include(if: false) { amount } made } } }",
        "{ good { id ... @defer { name } } }",
    ],
)
def test_the_answers_match_the_plain_path(query: str):
    fast, plain = run(query)
    assert fast == plain


def test_plain_items_are_completed_by_a_compiled_completer(monkeypatch):
    made = []
    original = compiled.completer

    def counted(*args):
        made.append(args[1].name)
        return original(*args)

    monkeypatch.setattr("subgraph_kit.graphql.fast_path.completer", counted)
    fast, plain = run(f"{{ good {{ {FIELDS} }} mixed {{ ... on Other {{ code }} }} }}")
    assert fast == plain
    assert sorted(made) == ["Other", "Thing", "Thing"]  # good, mixed's Thing and Other


def test_completers_are_kept_per_shape_and_bounded(monkeypatch):
    monkeypatch.setattr(compiled, "KEPT", 2)
    monkeypatch.setattr(compiled, "_compiled", {})
    for fields in ["id", "name", "id name", "name id"]:
        fast, plain = run(f"{{ good {{ {fields} }} }}")
        assert fast == plain
    assert len(compiled._compiled) == 2
    run("{ good { name id } }")
    assert len(compiled._compiled) == 2  # the same shape: no new completer


def test_the_union_resolver_is_the_one_resolutions_are_kept_for():
    # A union's members are resolved once per class only for Strawberry's own resolver (by
    # its name): renamed by an upgrade, every item would be resolved again, answers unchanged.
    union = schema._schema.type_map["Entity"]
    assert union.resolve_type.__qualname__ == UNION_RESOLVER  # type: ignore[union-attr]


def test_a_cast_item_is_resolved_by_its_cast_not_its_class():
    @strawberry.type
    class Casts:
        @strawberry.field
        def mixed(self) -> list[Entity | None]:  # type: ignore[valid-type]
            thing, disguised = things()[0], things()[2]
            disguised.code = "c"  # type: ignore[union-attr]
            return [thing, strawberry.cast(Other, disguised), thing]

    small = SubgraphSchema(query=Casts, mutation=Mutation)
    query = "{ mixed { __typename ... on Thing { id } ... on Other { code } } }"
    fast, plain = asyncio.run(both_ways(small, query, {}, lambda: type("C", (), {})()))
    assert fast == plain
    assert '{"__typename": "Other", "code": "c"}' in fast

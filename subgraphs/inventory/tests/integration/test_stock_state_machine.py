"""A stateful property test of stock: Hypothesis drives the real app against a model.

Each example starts from empty tables, two locations beside DEFAULT and 8 of each product at
DEFAULT, and runs a random sequence of adjustStock, setStock (without expectedVersion, with the
current one, with a stale one), transferStock, replays of idempotency keys (same input, then
different input), setReorderPoint, reserveStock, commitReservations, releaseReservations
(for two references, holds that do not expire during the run) and (twice at most)
deactivateLocation on a few products the (fake) catalog knows, at any of the three
locations. The app runs in-process over httpx.ASGITransport on a migrated database
(Postgres: 40 examples of up to 20 steps, derandomized; SQLite: 20), on one event loop in a
blocking portal, so the app's worker-thread limiter lives on one loop for the whole test.
After every step, through the API and in SQL:

- on hand is never negative, and an inactive location holds none;
- every level equals the model's: onHand, available, version, reorderPoint, lowStock, tracked,
  location; each product's inventory totals its levels at active locations;
  a write that sets what is already there changes nothing (no version bump), and a product
  never stocked that it sets to 0 stays untracked (no row, not listed);
- each level's movements are the model's deltas in order, each movement's onHandAfter is the
  running sum, and they add up to on hand;
- each applied idempotency key has one stored result and the movements its write made (none,
  one, or a transfer's two); replays and refused requests add none;
- what is reserved at each level is the model's holds, and the audit (`python -m app audit`'s
  checks) finds nothing wrong.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar

import anyio.from_thread
import httpx
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)
from subgraph_kit_testing.http import API_KEY, graphql

from app.domain.models import DEFAULT_LOCATION_ID
from app.infrastructure.db.audit import audit
from app.infrastructure.db.models import (
    IdempotencyKeyRow,
    StockLevelRow,
    StockMovementRow,
)
from app.infrastructure.db.repositories import reserved_at
from app.main import create_app
from app.settings import Settings
from tests.integration.helpers import ADJUST, LEVEL_FIELDS, SET, empty_database
from tests.unit.fakes import FakeCatalog

# Fixed ids, so that a derandomized run draws the same sequences every time.
PRODUCTS = tuple(str(uuid.uuid5(uuid.NAMESPACE_URL, f"stock-machine/{n}")) for n in range(3))
SETTINGS = settings(
    max_examples=40,
    stateful_step_count=20,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow],
)
# Postgres is the production engine and gets the full run; SQLite, the embedded default, half.
SETTINGS_BY_ENGINE = {"postgresql": SETTINGS, "sqlite": settings(SETTINGS, max_examples=20)}

SET_REORDER_POINT = f"""
mutation ($productId: ID!, $reorderPoint: Int!, $locationId: ID) {{
  setReorderPoint(productId: $productId, reorderPoint: $reorderPoint, locationId: $locationId) {{
    stockLevel {{ {LEVEL_FIELDS} }}
    userErrors {{ field message code }}
  }}
}}"""
LEVELS = f"query {{ stockLevels(first: 100) {{ nodes {{ {LEVEL_FIELDS} location {{ id }} }} }} }}"
TRANSFER = f"""
mutation ($input: TransferStockInput!) {{
  transferStock(input: $input) {{
    from {{ {LEVEL_FIELDS} }} to {{ {LEVEL_FIELDS} }} userErrors {{ field message code }}
  }}
}}"""
CREATE_LOCATION = """
mutation ($code: String!) { createLocation(input: {code: $code, name: $code}) { location { id } } }
"""
DEACTIVATE = """
mutation ($id: ID!) {
  deactivateLocation(id: $id) { location { active } userErrors { field code } }
}"""
INVENTORY = """
query ($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Product { inventory { onHand } } }
}"""
MUTATIONS = {"adjustStock": ADJUST, "setStock": SET, "transferStock": TRANSFER}
HOLDS = "reservations { quantity status location { id } } userErrors { field code }"
RESERVE = f"""
mutation ($input: ReserveStockInput!) {{ reserveStock(input: $input) {{ {HOLDS} }} }}"""
COMMIT = f"""
mutation ($reference: String!) {{ commitReservations(reference: $reference) {{ {HOLDS} }} }}"""
RELEASE = f"""
mutation ($reference: String!, $productIds: [ID!]) {{
  releaseReservations(reference: $reference, productIds: $productIds) {{ {HOLDS} }}
}}"""
REFERENCES = ("cart-1", "cart-2")  # never idempotency keys, which the key checks count
PLACES = st.integers(0, 2)  # DEFAULT and the two locations each example creates

levels = StockLevelRow.__table__
movements = StockMovementRow.__table__
idempotency_keys = IdempotencyKeyRow.__table__


@dataclass
class Stats:
    """What the runs did: examples, steps, and each rule's outcomes."""

    examples: int = 0
    steps: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)

    def summary(self, engine: str, seconds: float) -> str:
        counts = ", ".join(f"{name} {count}" for name, count in sorted(self.outcomes.items()))
        return (
            f"stock state machine on {engine}: {self.examples} examples, {self.steps} steps "
            f"in {seconds:.1f} s ({counts})"
        )


@dataclass
class Harness:
    """The app behind one AsyncClient on one event loop, and its engine for the SQL checks."""

    portal: anyio.from_thread.BlockingPortal
    client: httpx.AsyncClient
    engine: sa.Engine
    stats: Stats = field(default_factory=Stats)

    def call(self, query: str, **variables: Any) -> dict[str, Any]:
        """POST one operation; it must answer HTTP 200 without top-level errors."""
        body = self.portal.call(partial(graphql, self.client, query, **variables))
        assert "errors" not in body, body
        return body["data"]


@dataclass
class Level:
    """The model of one product's stock level."""

    tracked: bool = False
    on_hand: int = 0
    version: int = 0
    reorder_point: int = 0
    reserved: int = 0
    deltas: list[int] = field(default_factory=list)

    @property
    def available(self) -> int:
        return max(self.on_hand - self.reserved, 0)

    def move(self, delta: int) -> None:
        self.tracked = True
        self.on_hand += delta
        self.version += 1
        self.deltas.append(delta)

    def view(self, product_id: str) -> dict[str, Any]:
        """What the API must answer for this level."""
        return {
            "productId": product_id,
            "onHand": self.on_hand,
            "available": self.available,
            "reorderPoint": self.reorder_point,
            "lowStock": self.tracked and self.available <= self.reorder_point,
            "tracked": self.tracked,
            "version": self.version,
        }


@dataclass(eq=False)
class UsedKey:
    """An idempotency key that was applied: the request it came with and what it answered."""

    key: str
    mutation: str
    input: dict[str, Any]
    answer: dict[str, Any]
    moved: int  # movements it wrote

    def __repr__(self) -> str:
        return f"UsedKey({self.key!r}, {self.mutation}, {self.input})"


def stale(version: int, by: int) -> int:
    """A version that is not `version` (and not negative)."""
    return version - by if version >= by else version + by


def refused(payload: dict[str, Any], code: str, path: list[str]) -> None:
    written = [value for name, value in payload.items() if name != "userErrors"]
    assert all(value in (None, []) for value in written), payload
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, path)], payload


def changed(used: UsedKey, change: str) -> tuple[str, dict[str, Any]]:
    """The same key with some other request: another amount, reason, product or mutation."""
    given = dict(used.input)
    adjusting = used.mutation == "adjustStock"
    if used.mutation == "transferStock" and change in ("amount", "reason"):
        given["quantity"] += 1  # a transfer has no reason: both changes move another amount
    elif used.mutation == "transferStock" and change == "operation":
        common = {k: given[k] for k in ("productId", "idempotencyKey", "reference")}
        return "adjustStock", common | {"delta": 1, "reason": "RECEIVED"}
    elif change == "amount" and adjusting:
        given["delta"] *= 2
    elif change == "amount":
        given["onHand"] += 1
    elif change == "reason":
        given["reason"] = "OTHER"
    elif change == "product":
        given["productId"] = next(p for p in PRODUCTS if p != given["productId"])
    elif change == "operation":  # the other mutation, with the same key
        common = {k: given[k] for k in ("productId", "idempotencyKey", "reference")}
        if adjusting:
            return "setStock", common | {"onHand": 1}
        return "adjustStock", common | {"delta": 1, "reason": "RECEIVED"}
    return used.mutation, given


class StockMachine(RuleBasedStateMachine):
    """Stock through the API against a model; `harness` is set by the test before running."""

    harness: ClassVar[Harness]
    keys = Bundle("keys")

    def __init__(self) -> None:
        super().__init__()
        empty_database(self.harness.engine)
        created = [self.harness.call(CREATE_LOCATION, code=code) for code in ("A", "B")]
        self.places = [str(DEFAULT_LOCATION_ID)] + [
            data["createLocation"]["location"]["id"] for data in created
        ]
        self.active = [True, True, True]
        self.deactivations = 0
        self.model = {(product, place): Level() for product in PRODUCTS for place in range(3)}
        # Some stock at DEFAULT to start with, so that transfers have something to move.
        for product in PRODUCTS:
            self.harness.call(
                ADJUST, input={"productId": product, "delta": 8, "reason": "RECEIVED"}
            )
            self.model[product, 0].move(8)
        # Each reference's ACTIVE holds by (product, place), and how many it has committed.
        self.holds: dict[str, dict[tuple[str, int], int]] = {ref: {} for ref in REFERENCES}
        self.committed = dict.fromkeys(REFERENCES, 0)
        self.applied: dict[str, UsedKey] = {}
        self.refused_keys: set[str] = set()
        self.key_numbers = itertools.count(1)
        self.harness.stats.examples += 1

    # -- helpers -------------------------------------------------------------------------

    def step(self, outcome: str) -> None:
        self.harness.stats.steps += 1
        self.harness.stats.outcomes[outcome] += 1

    def mutate(self, mutation: str, given: dict[str, Any]) -> dict[str, Any]:
        return self.harness.call(MUTATIONS[mutation], input=given)[mutation]

    def at(self, given: dict[str, Any], place: int) -> dict[str, Any]:
        """Name the location (DEFAULT by omission, half of the time)."""
        if place or len(self.applied) % 2:
            given["locationId"] = self.places[place]
        return given

    def inactive(self, answer: dict[str, Any], place: int, path: list[str], what: str) -> bool:
        """Check a write at an inactive location was refused; say whether it was one."""
        if self.active[place]:
            return False
        refused(answer, "LOCATION_INACTIVE", path)
        self.step(f"{what}: LOCATION_INACTIVE")
        return True

    def sync_reserved(self) -> None:
        """Set each level's reserved to the sum of the holds at it."""
        for key, level in self.model.items():
            level.reserved = sum(held.get(key, 0) for held in self.holds.values())

    def keyed(self, given: dict[str, Any], with_key: bool) -> str | None:
        """Give the request a fresh key (also as its reference, to find its movement)."""
        if not with_key:
            return None
        key = f"key-{next(self.key_numbers)}"
        given |= {"idempotencyKey": key, "reference": key}
        return key

    def settle(
        self,
        key: str | None,
        mutation: str,
        given: dict[str, Any],
        answer: dict[str, Any],
        moved: int,
    ) -> MultipleResults[UsedKey]:
        """Remember an applied key (a refused request does not consume its key)."""
        if key is None:
            return multiple()
        if answer["userErrors"]:
            self.refused_keys.add(key)
            return multiple()
        used = UsedKey(key, mutation, given, answer, moved)
        self.applied[key] = used
        return multiple(used)

    # -- rules -----------------------------------------------------------------------------

    @rule(
        target=keys,
        product=st.sampled_from(PRODUCTS),
        place=PLACES,
        delta=st.integers(-6, 8).filter(bool),
        with_key=st.booleans(),
    )
    def adjust(
        self, product: str, place: int, delta: int, with_key: bool
    ) -> MultipleResults[UsedKey]:
        """adjustStock: applied unless on hand would go below zero or the location is closed."""
        given = self.at(
            {"productId": product, "delta": delta, "reason": "RECEIVED" if delta > 0 else "SOLD"},
            place,
        )
        key = self.keyed(given, with_key)
        answer = self.mutate("adjustStock", given)
        level = self.model[product, place]
        if self.inactive(answer, place, ["input", "locationId"], "adjust"):
            pass
        elif level.on_hand + delta < (level.reserved if delta < 0 else 0):
            refused(answer, "INSUFFICIENT_STOCK", ["input", "delta"])
            self.step("adjust: INSUFFICIENT_STOCK")
        else:
            level.move(delta)
            assert answer == {"stockLevel": level.view(product), "userErrors": []}
            self.step("adjust: applied")
        moved = int(answer["stockLevel"] is not None)
        return self.settle(key, "adjustStock", given, answer, moved)

    @rule(
        target=keys,
        product=st.sampled_from(PRODUCTS),
        place=PLACES,
        on_hand=st.integers(0, 12),
        same=st.sampled_from([False, False, False, True]),  # a quarter count what is there
        expected=st.sampled_from(["none", "current", "stale"]),
        stale_by=st.integers(1, 3),
        with_key=st.booleans(),
    )
    def set_stock(
        self,
        product: str,
        place: int,
        on_hand: int,
        same: bool,
        expected: str,
        stale_by: int,
        with_key: bool,
    ) -> MultipleResults[UsedKey]:
        """setStock: applied unless expectedVersion is given and stale, or the location is
        closed."""
        level = self.model[product, place]
        on_hand = level.on_hand if same else on_hand
        given: dict[str, Any] = self.at({"productId": product, "onHand": on_hand}, place)
        if expected != "none":
            current = expected == "current"
            given["expectedVersion"] = level.version if current else stale(level.version, stale_by)
        key = self.keyed(given, with_key)
        answer = self.mutate("setStock", given)
        moved = 0
        if self.inactive(answer, place, ["input", "locationId"], "set"):
            pass
        elif given.get("expectedVersion", level.version) != level.version:
            refused(answer, "VERSION_CONFLICT", ["input", "expectedVersion"])
            self.step("set with a stale expectedVersion: VERSION_CONFLICT")
        else:
            # Setting the value it already has changes nothing (0 for a product never stocked,
            # which stays untracked).
            if on_hand != level.on_hand:
                level.move(on_hand - level.on_hand)
                moved = 1
            assert answer == {"stockLevel": level.view(product), "userErrors": []}
            how = "without expectedVersion" if expected == "none" else "with the current one"
            self.step(f"set {how}: {'applied' if moved else 'unchanged'}")
        return self.settle(key, "setStock", given, answer, moved)

    @rule(used=keys)
    def replay_with_the_same_input(self, used: UsedKey) -> None:
        """The first answer again, even when the level has moved on since; nothing changes."""
        assert self.mutate(used.mutation, used.input) == used.answer
        self.step("replay: same answer")

    @rule(used=keys, change=st.sampled_from(["amount", "reason", "product", "operation"]))
    def replay_with_different_input(self, used: UsedKey, change: str) -> None:
        """A key used for another request is refused, and nothing changes."""
        mutation, given = changed(used, change)
        refused(self.mutate(mutation, given), "IDEMPOTENCY_KEY_REUSED", ["input", "idempotencyKey"])
        self.step("replay: IDEMPOTENCY_KEY_REUSED")

    @rule(product=st.sampled_from(PRODUCTS), place=PLACES, point=st.integers(0, 10))
    def set_reorder_point(self, product: str, place: int, point: int) -> None:
        """setReorderPoint to another value starts tracking and bumps the version; to the one
        it has (0 for a product never stocked) it changes nothing. On hand stays."""
        given = self.at({"productId": product, "reorderPoint": point}, place)
        answer = self.harness.call(SET_REORDER_POINT, **given)
        if self.inactive(answer["setReorderPoint"], place, ["locationId"], "reorder point"):
            return
        level = self.model[product, place]
        unchanged = point == level.reorder_point
        if not unchanged:
            level.tracked, level.reorder_point, level.version = True, point, level.version + 1
        assert answer["setReorderPoint"] == {"stockLevel": level.view(product), "userErrors": []}
        self.step("reorder point: unchanged" if unchanged else "reorder point: applied")

    @rule(
        target=keys,
        product=st.sampled_from(PRODUCTS),
        ends=st.permutations(range(3)).map(lambda order: order[:2]),
        quantity=st.integers(1, 6),
        with_key=st.booleans(),
    )
    def transfer(
        self, product: str, ends: list[int], quantity: int, with_key: bool
    ) -> MultipleResults[UsedKey]:
        """transferStock: both levels move, or neither (a closed end, too little at the
        source)."""
        source, destination = ends
        given = {
            "productId": product,
            "fromLocationId": self.places[source],
            "toLocationId": self.places[destination],
            "quantity": quantity,
        }
        key = self.keyed(given, with_key)
        answer = self.mutate("transferStock", given)
        moved = 0
        if not self.active[source] or not self.active[destination]:
            # Both ends are checked in location-id order; the first closed one is named.
            closed = [p for p in sorted(ends, key=lambda p: self.places[p]) if not self.active[p]]
            field = "fromLocationId" if closed[0] == source else "toLocationId"
            refused(answer, "LOCATION_INACTIVE", ["input", field])
            self.step("transfer: LOCATION_INACTIVE")
        elif self.model[product, source].available < quantity:
            refused(answer, "INSUFFICIENT_STOCK", ["input", "quantity"])
            self.step("transfer: INSUFFICIENT_STOCK")
        else:
            out, into = self.model[product, source], self.model[product, destination]
            out.move(-quantity)
            into.move(quantity)
            moved = 2
            expected = {"from": out.view(product), "to": into.view(product), "userErrors": []}
            assert answer == expected
            self.step("transfer: applied")
        return self.settle(key, "transferStock", given, answer, moved)

    @precondition(lambda self: self.deactivations < 2)  # else most steps meet closed doors
    @rule(place=st.integers(1, 2))
    def deactivate(self, place: int) -> None:
        """deactivateLocation: refused while the location holds stock; once closed, it stays
        closed (again changes nothing)."""
        self.deactivations += 1
        payload = self.harness.call(DEACTIVATE, id=self.places[place])["deactivateLocation"]
        if any(
            self.model[product, place].on_hand or self.model[product, place].reserved
            for product in PRODUCTS
        ):
            assert payload == {
                "location": None,
                "userErrors": [{"field": ["id"], "code": "LOCATION_NOT_EMPTY"}],
            }
            self.step("deactivate: LOCATION_NOT_EMPTY")
        else:
            assert payload == {"location": {"active": False}, "userErrors": []}
            self.step("deactivate: applied" if self.active[place] else "deactivate: again")
            self.active[place] = False

    @rule(
        reference=st.sampled_from(REFERENCES),
        product=st.sampled_from(PRODUCTS),
        place=PLACES,
        quantity=st.integers(1, 5),
    )
    def reserve(self, reference: str, product: str, place: int, quantity: int) -> None:
        """reserveStock of one line at a location: replaces the reference's holds of the
        product; refused at a closed location or beyond what is free for the reference."""
        given = {
            "reference": reference,
            "lines": [
                {"productId": product, "quantity": quantity, "locationId": self.places[place]}
            ],
        }
        answer = self.harness.call(RESERVE, input=given)["reserveStock"]
        level, held = self.model[product, place], self.holds[reference]
        free = max(level.on_hand - level.reserved + held.get((product, place), 0), 0)
        if not self.active[place]:
            refused(answer, "LOCATION_INACTIVE", ["input", "lines", "0", "locationId"])
            self.step("reserve: LOCATION_INACTIVE")
        elif quantity > free:
            refused(answer, "INSUFFICIENT_STOCK", ["input", "lines", "0", "quantity"])
            self.step("reserve: INSUFFICIENT_STOCK")
        else:
            for key in [key for key in held if key[0] == product]:
                del held[key]
            held[product, place] = quantity
            self.sync_reserved()
            assert answer == {
                "reservations": [
                    {
                        "quantity": quantity,
                        "status": "ACTIVE",
                        "location": {"id": self.places[place]},
                    }
                ],
                "userErrors": [],
            }
            self.step("reserve: applied")

    @precondition(lambda self: any(self.holds.values()))  # else most commits sell nothing
    @rule(reference=st.sampled_from(REFERENCES))
    def commit(self, reference: str) -> None:
        """commitReservations: each hold becomes a SOLD movement, all or none (none when a
        count left less on hand than a hold); with nothing held it answers what it sold."""
        answer = self.harness.call(COMMIT, reference=reference)["commitReservations"]
        held = self.holds[reference]
        if not held:
            assert answer["userErrors"] == []
            assert len(answer["reservations"]) == self.committed[reference]
            self.step("commit: nothing held")
        elif any(self.model[key].on_hand < quantity for key, quantity in held.items()):
            refused(answer, "INSUFFICIENT_STOCK", ["reference"])
            self.step("commit: INSUFFICIENT_STOCK (shortfall)")
        else:
            assert answer["userErrors"] == []
            assert sorted(hold["quantity"] for hold in answer["reservations"]) == sorted(
                held.values()
            )
            for key, quantity in sorted(held.items()):
                self.model[key].move(-quantity)
            self.committed[reference] += len(held)
            held.clear()
            self.sync_reserved()
            self.step("commit: applied")

    @rule(reference=st.sampled_from(REFERENCES), product=st.sampled_from([None, *PRODUCTS]))
    def release(self, reference: str, product: str | None) -> None:
        """releaseReservations: frees the reference's holds (of one product, if named);
        freeing what is free answers nothing and is no error."""
        variables: dict[str, Any] = {"reference": reference}
        if product is not None:
            variables["productIds"] = [product]
        answer = self.harness.call(RELEASE, **variables)["releaseReservations"]
        held = self.holds[reference]
        freed = [key for key in held if product is None or key[0] == product]
        assert answer["userErrors"] == []
        assert len(answer["reservations"]) == len(freed)
        for key in freed:
            del held[key]
        self.sync_reserved()
        self.step("release: applied" if freed else "release: nothing held")

    # -- invariants ------------------------------------------------------------------------

    def tracked(self) -> dict[tuple[str, int], Level]:
        return {key: level for key, level in self.model.items() if level.tracked}

    def sql(self, statement: sa.Select[Any]) -> list[sa.Row[Any]]:
        with self.harness.engine.connect() as connection:
            return list(connection.execute(statement))

    @invariant()
    def on_hand_is_never_negative_and_every_level_equals_the_model(self) -> None:
        rows = self.sql(sa.select(levels))
        assert all(row.on_hand >= 0 for row in rows), rows
        place = {location: index for index, location in enumerate(self.places)}
        in_sql = {
            (str(row.product_id), place[str(row.location_id)]): (
                row.on_hand,
                row.version,
                row.reorder_point,
            )
            for row in rows
        }
        expected = {k: (m.on_hand, m.version, m.reorder_point) for k, m in self.tracked().items()}
        assert in_sql == expected
        assert not any(on_hand for (_, p), (on_hand, _, _) in in_sql.items() if not self.active[p])
        nodes = self.harness.call(LEVELS)["stockLevels"]["nodes"]
        views = sorted(
            (
                level.view(product) | {"location": {"id": self.places[p]}}
                for (product, p), level in self.tracked().items()
            ),
            key=str,
        )
        assert sorted(nodes, key=str) == views

    @invariant()
    def each_product_s_inventory_totals_its_active_locations(self) -> None:
        representations = [{"__typename": "Product", "id": product} for product in PRODUCTS]
        found = self.harness.call(INVENTORY, representations=representations)["_entities"]
        totals = [
            sum(self.model[product, p].on_hand for p in range(3) if self.active[p])
            for product in PRODUCTS
        ]
        assert [entity["inventory"]["onHand"] for entity in found] == totals

    @invariant()
    def movements_add_up_to_on_hand(self) -> None:
        rows = self.sql(sa.select(movements).order_by(movements.c.position))
        place = {location: index for index, location in enumerate(self.places)}
        by_level: dict[tuple[str, int], list[sa.Row[Any]]] = {key: [] for key in self.model}
        for row in rows:
            by_level[str(row.product_id), place[str(row.location_id)]].append(row)
        for key, level in self.model.items():
            found = by_level[key]
            assert [row.delta for row in found] == level.deltas, key
            running = list(itertools.accumulate(row.delta for row in found))
            assert [row.on_hand_after for row in found] == running, key
            assert sum(level.deltas) == level.on_hand

    @invariant()
    def each_key_is_applied_once(self) -> None:
        stored = {row.key: row.result for row in self.sql(sa.select(idempotency_keys))}
        assert set(stored) == set(self.applied), "a refused request kept its key, or one is lost"
        assert all(result is not None for result in stored.values())
        references = Counter(
            row.reference
            for row in self.sql(sa.select(movements.c.reference))
            if row.reference and row.reference not in REFERENCES
        )
        assert set(references) <= set(self.applied)
        for key, used in self.applied.items():
            assert references[key] == used.moved, key
        assert not self.refused_keys & set(references)

    @invariant()
    def reserved_is_the_model_s_holds_and_the_audit_is_clean(self) -> None:
        now = datetime.now(UTC)
        place = {location: index for index, location in enumerate(self.places)}
        rows = self.sql(sa.select(levels.c.product_id, levels.c.location_id, reserved_at(now)))
        in_sql = {(str(row[0]), place[str(row[1])]): row[2] for row in rows}
        assert {key: value for key, value in in_sql.items() if value} == {
            key: level.reserved for key, level in self.model.items() if level.reserved
        }
        assert audit(self.harness.engine, now=now) == []


@pytest.fixture
def harness(database_url: str) -> Iterator[Harness]:
    """The app over `database_url`, a catalog knowing PRODUCTS, one client on one loop."""
    catalog = FakeCatalog(*(uuid.UUID(product) for product in PRODUCTS))
    app = create_app(
        Settings(database_url=database_url, api_key=API_KEY, outbox_poll_seconds=3600),
        catalog=catalog,
    )
    engine: sa.Engine = app.state.runtime.engine
    with ExitStack() as stack:
        stack.callback(engine.dispose)
        portal = stack.enter_context(anyio.from_thread.start_blocking_portal("asyncio"))
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://test",
            headers={"X-API-Key": API_KEY},
        )
        stack.enter_context(portal.wrap_async_context_manager(client))
        yield Harness(portal, client, engine)


def test_stock_matches_a_model_under_any_sequence_of_writes_and_replays(
    harness: Harness,
    record_property: Callable[[str, object], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    engine = harness.engine.dialect.name
    chosen = SETTINGS_BY_ENGINE[engine]
    started = time.monotonic()
    StockMachine.harness = harness
    try:
        run_state_machine_as_test(StockMachine, settings=chosen)
    finally:
        summary = harness.stats.summary(engine, time.monotonic() - started)
        record_property("stock_state_machine", summary)
        with capsys.disabled():
            print(f"\n{summary}")
    assert harness.stats.steps >= chosen.max_examples  # the machine really ran

"""Seeding, through the services' public interfaces only.

- The catalogs (10,000 products, and 100,000 for the deep page): products' own use case,
  `create_product`, with the service's wiring (`build_runtime`), in `python -m bench.seed START
  COUNT` processes side by side (through GraphQL: minutes more); then `python -m app relay`.
- Stock, over GraphQL: `adjustStock` for the 1,000 newest products (all the scenarios touch),
  and `setReorderPoint` 10 for every tenth, which gets 5 (low on stock); 10 aliases a request.
- Product ids and the cursors 90 % deep: a walk through each catalog's `products` connection.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

import runner
from bench.stack import BenchError
from bench.workloads import PAGE
from runner import ROOT

# ALIASES: writes a request; each waits for its products lookup and, on SQLite, for the
# database's write lock, so 30 (the most the schema allows) could pass the request deadline.
ALIASES, CONCURRENCY, CHUNK, STOCKED = 10, 8, 50_000, 1000  # CHUNK: products per process
ADJECTIVES = ("Oak", "Steel", "Linen", "Copper", "Walnut", "Glass", "Stone", "Wool", "Cedar")
NOUNS = ("lamp", "chair", "table", "shelf", "mug", "rug", "vase", "clock", "desk", "stool")


@dataclass(frozen=True)
class Seeded:
    ids: list[str]  # the catalog's products, newest first (the catalog page's order)
    deep_cursor: str  # `after` for the page 90 % down the catalog
    large_count: int
    large_deep_cursor: str


def create_products(start: int, count: int) -> None:
    """In the products folder: `count` products through the service's own use case."""
    from app.application.use_cases import create_product
    from app.domain.schemas import CreateProduct
    from app.infrastructure.api.dependencies import build_runtime
    from app.settings import get_settings

    runtime = build_runtime(get_settings())
    for i in range(start, start + count):
        command = CreateProduct(
            sku=f"bench-{i:06d}",
            name=f"{ADJECTIVES[i % 9]} {NOUNS[i % 10]} {i}",
            description=None if i % 3 == 0 else f"Benchmark product number {i}.",
            price={"amount": Decimal(100 + i % 9900) / 100, "currency_code": "eur"},
        )
        create_product(command, uow=runtime.uow())


def catalogs(sizes: dict[str, tuple[str, int]], logs: Path) -> None:
    """Fill each catalog of `{role: (database URL, size)}`, then relay its events."""
    folder, env = ROOT / "subgraphs" / "products", {"LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
    seeds, relays = {}, {}
    for role, (url, size) in sizes.items():
        for start in range(0, size, CHUNK):
            seed = ["-m", "bench.seed", str(start), str(min(CHUNK, size - start))]
            seeds[f"seed-{role}-{start}"] = (folder, env | {"DATABASE_URL": url}, seed)
        relays[f"relay-{role}"] = (folder, env | {"DATABASE_URL": url}, ["-m", "app", "relay"])
    runner.run_python(seeds, logs)
    runner.run_python(relays, logs)


async def post_all(
    client: httpx.AsyncClient, url: str, field: str, type_: str, values: list[Any]
) -> None:
    """`field` once per value (`$v` standing for it), ALIASES to a request and CONCURRENCY
    requests at a time; any error or userError fails the seeding."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def post(batch: list[Any]) -> None:
        names = [f"v{n}" for n in range(len(batch))]
        fields = " ".join(
            f"{n}: {field.replace('$v', '$' + n)} {{ userErrors {{ code }} }}" for n in names
        )
        query = f"mutation Seed({', '.join(f'${n}: {type_}' for n in names)}) {{ {fields} }}"
        async with gate:
            variables = dict(zip(names, batch, strict=True))
            response = await client.post(url, json={"query": query, "variables": variables})
        data = (response.json() if response.status_code == 200 else {}).get("data") or {}
        if len(data) != len(batch) or any(payload["userErrors"] for payload in data.values()):
            raise BenchError(f"{url} answered {response.status_code}: {response.text[:1000]}")

    await asyncio.gather(*(post(values[i : i + ALIASES]) for i in range(0, len(values), ALIASES)))


async def walk(client: httpx.AsyncClient, url: str, pages: int) -> tuple[list[str], list[str]]:
    """The ids of the first `pages` pages of 100, newest first, and the cursor after each."""
    ids, cursors = [], [""]
    for _ in range(pages):
        variables = {"first": 100, "after": cursors[-1] or None}
        response = await client.post(url, json={"query": PAGE, "variables": variables})
        products = response.json()["data"]["products"]
        ids += [node["id"] for node in products["nodes"]]
        cursors.append(products["pageInfo"]["endCursor"])
    return ids, cursors


async def stock_and_cursors(urls: dict[str, str], sizes: dict[str, int], api_key: str) -> Seeded:
    """Walk both catalogs for ids and cursors; stock the first through inventory."""
    size, large = sizes["products"], sizes["products_large"]
    headers = {"X-API-Key": api_key}
    async with httpx.AsyncClient(headers=headers, timeout=60, trust_env=False) as client:
        (ids, cursors), (_, large_cursors) = await asyncio.gather(
            walk(client, urls["products"], -(-size // 100)),
            walk(client, urls["products-large"], large * 9 // 1000),
        )
        if len(ids) != size:
            raise BenchError(f"products lists {len(ids)} products, not {size}")
        received = [
            {"productId": pid, "delta": 5 if i % 10 == 9 else 1000 + i % 500, "reason": "RECEIVED"}
            for i, pid in enumerate(ids[:STOCKED])
        ]
        adjust = "adjustStock(input: $v)"
        await post_all(client, urls["inventory"], adjust, "AdjustStockInput!", received)
        reorder = "setReorderPoint(productId: $v, reorderPoint: 10)"
        await post_all(client, urls["inventory"], reorder, "ID!", ids[9:STOCKED:10])
    return Seeded(ids, cursors[size * 9 // 1000], large, large_cursors[-1])


if __name__ == "__main__":
    create_products(int(sys.argv[1]), int(sys.argv[2]))

"""The requests measured in-process before the load starts: their SQL statements (every one)
and their CPU time (the scenarios' main operations, and the floors' equivalents)."""

from __future__ import annotations

from typing import Any

from bench import databases as db
from bench.databases import Databases, Seeded
from bench.scenarios import SCALE_SIZES
from bench.workloads import (
    CATALOG_PAGE_PRODUCTS,
    DEEP_PAGE,
    PRODUCT_ENTITIES,
    PRODUCTS_PAGE,
    STOCK_ENTITIES,
    adjustment,
    body,
    representations,
)

TIMED = {
    "products": ["products_page", "catalog_products"],
    "inventory": ["stock_entities_100", "stock_entities_20", "adjust"],
    "products_large": [],
}


def service_requests(seeded: Seeded) -> dict[str, dict[str, Any]]:
    """Per database role, the named request bodies sent to its service."""
    ids = seeded.ids
    products = {
        "products_page": body(PRODUCTS_PAGE, first=100),
        "catalog_products": body(CATALOG_PAGE_PRODUCTS),
        "deep_page": body(DEEP_PAGE, after=seeded.deep_cursor),
    }
    inventory = {
        "stock_entities_100": body(STOCK_ENTITIES, representations=representations(ids[:100])),
        "stock_entities_20": body(STOCK_ENTITIES, representations=representations(ids[:20])),
        "adjust": adjustment(ids[0]),
    }
    for size in SCALE_SIZES:
        reps = representations(ids[:size])
        products[f"products_entities_{size}"] = body(PRODUCT_ENTITIES, representations=reps)
        inventory[f"inventory_entities_{size}"] = body(STOCK_ENTITIES, representations=reps)
    large = {"deep_page": body(DEEP_PAGE, after=seeded.large_deep_cursor)}
    return {"products": products, "inventory": inventory, "products_large": large}


def floor_requests(seeded: Seeded) -> dict[str, dict[str, Any]]:
    """Per floor role, the floor's equivalents of the timed reads."""
    page = {"path": "/products-page", "body": body(PRODUCTS_PAGE, first=100)}
    reps = representations(seeded.ids[:100])
    entities = {"path": "/entities", "body": body(STOCK_ENTITIES, representations=reps)}
    return {"products": {"products_page": page}, "inventory": {"stock_entities_100": entities}}


def measure(databases: Databases, seeded: Seeded) -> dict[str, dict[str, Any]]:
    """One subprocess after the other, so that none slows another's timing."""
    measured = {
        role: db.measure_requests(databases, role, asked, TIMED[role])
        for role, asked in service_requests(seeded).items()
    }
    for role, asked in floor_requests(seeded).items():
        measured[f"floor-{role}"] = db.measure_floor(databases, role, asked)
    return measured

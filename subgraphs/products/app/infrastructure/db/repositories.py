"""SQLAlchemy implementations of the catalog's repository interfaces."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    delete,
    func,
    insert,
    literal,
    select,
    tuple_,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from subgraph_kit.sql.engine import utc

from app.domain.errors import DuplicateSku
from app.domain.models import Money, Product, ProductFilter, ProductSort, ProductStatus, SortKey
from app.domain.repositories import ProductRepository
from app.infrastructure.db.models import ProductRow

products = ProductRow.__table__

SORT_COLUMNS = {
    ProductSort.CREATED_AT_DESC: products.c.created_at,
    ProductSort.CREATED_AT_ASC: products.c.created_at,
    ProductSort.NAME_ASC: products.c.name,
    ProductSort.NAME_DESC: products.c.name,
    ProductSort.PRICE_ASC: products.c.price_minor,
    ProductSort.PRICE_DESC: products.c.price_minor,
    ProductSort.SKU_ASC: products.c.sku,
}


def escape_like(text: str) -> str:
    """Make `%`, `_` and `\\` match themselves in a LIKE pattern with ESCAPE '\\'."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# What every read selects, in the order `to_product` unpacks it: by position, since reading
# a Row's values by name costs more than all the rest of the mapping.
COLUMNS = tuple(
    products.c[name]
    for name in (
        "id",
        "sku",
        "name",
        "description",
        "price_minor",
        "currency_code",
        "status",
        "created_at",
        "updated_at",
    )
)


def to_product(row: Row[Any]) -> Product:
    """The product of a row of COLUMNS."""
    id, sku, name, description, price_minor, currency_code, status, created_at, updated_at = row
    return Product(
        id=id,
        sku=sku,
        name=name,
        description=description,
        price=Money.from_minor_units(price_minor, currency_code),
        status=ProductStatus(status),
        created_at=utc(created_at),
        updated_at=utc(updated_at),
    )


def to_columns(product: Product) -> dict[str, Any]:
    return {
        "id": product.id,
        "sku": product.sku,
        "name": product.name,
        "description": product.description,
        "price_minor": product.price.minor_units,
        "currency_code": product.price.currency_code,
        "status": product.status.value,
        "created_at": product.created_at,
        "updated_at": product.updated_at,
    }


def filter_conditions(filter: ProductFilter) -> list[ColumnElement[bool]]:
    """Translate a filter into WHERE conditions."""
    conditions: list[ColumnElement[bool]] = []
    if filter.ids is not None:
        conditions.append(products.c.id.in_(filter.ids))
    if filter.skus is not None:
        conditions.append(products.c.sku.in_(filter.skus))
    if filter.statuses is not None:
        conditions.append(products.c.status.in_([status.value for status in filter.statuses]))
    if filter.search:
        pattern = f"%{escape_like(filter.search.lower())}%"
        conditions.append(
            func.lower(products.c.name).like(pattern, escape="\\")
            | func.lower(products.c.sku).like(pattern, escape="\\")
        )
    if filter.min_price is not None:
        conditions.append(products.c.price_minor >= int(filter.min_price.scaleb(2)))
    if filter.max_price is not None:
        conditions.append(products.c.price_minor <= int(filter.max_price.scaleb(2)))
    return conditions


class SqlAlchemyProductRepository(ProductRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, product: Product) -> None:
        self._write(insert(products).values(to_columns(product)), product.sku)

    def update(self, product: Product) -> None:
        values = to_columns(product)
        del values["id"], values["created_at"]
        self._write(update(products).where(products.c.id == product.id).values(values), product.sku)

    def delete(self, product_id: UUID) -> None:
        self.session.execute(delete(products).where(products.c.id == product_id))

    def get(self, product_id: UUID, *, for_update: bool = False) -> Product | None:
        statement = select(*COLUMNS).where(products.c.id == product_id)
        return self._one(statement.with_for_update() if for_update else statement)

    def get_by_sku(self, sku: str) -> Product | None:
        return self._one(select(*COLUMNS).where(products.c.sku == sku))

    def get_many(self, product_ids: Sequence[UUID]) -> list[Product]:
        rows = self.session.execute(select(*COLUMNS).where(products.c.id.in_(product_ids)))
        return [to_product(row) for row in rows]

    def list(
        self, *, filter: ProductFilter, sort: ProductSort, limit: int, after: SortKey | None
    ) -> list[Product]:
        column = SORT_COLUMNS[sort]
        statement = select(*COLUMNS).where(*filter_conditions(filter))
        if after is not None:
            position = tuple_(literal(after[0], column.type), literal(after[1], products.c.id.type))
            keyset = tuple_(column, products.c.id)
            statement = statement.where(keyset < position if sort.descending else keyset > position)
        order = (
            (column.desc(), products.c.id.desc()) if sort.descending else (column, products.c.id)
        )
        rows = self.session.execute(statement.order_by(*order).limit(limit))
        return [to_product(row) for row in rows]

    def count(self, *, filter: ProductFilter) -> int:
        statement = select(func.count()).select_from(products).where(*filter_conditions(filter))
        return self.session.execute(statement).scalar_one()

    def _one(self, statement: Select[Any]) -> Product | None:
        row = self.session.execute(statement).first()
        return to_product(row) if row else None

    def _write(self, statement: Any, sku: str) -> None:
        try:
            self.session.execute(statement)
        except IntegrityError as error:
            if "sku" in str(error.orig).lower():
                raise DuplicateSku(f"A product with SKU {sku} exists.", field=("sku",)) from None
            raise

from decimal import Decimal
from uuid import uuid4

import pytest
from pydantic import ValidationError

from app.application import use_cases
from app.application.event_publisher import PUBLISHED_EVENTS
from app.domain.errors import DuplicateSku, ProductNotFound
from app.domain.models import ProductFilter, ProductPage, ProductSort, ProductStatus
from app.domain.schemas import CreateProduct, DeleteProduct, UpdateProduct
from tests.unit.fakes import FakeUnitOfWork


def create(uow: FakeUnitOfWork, sku: str = "sku-1", **fields: object):
    command = CreateProduct.model_validate(
        {"sku": sku, "name": "Widget", "price": {"amount": "9.99", "currency_code": "EUR"}} | fields
    )
    return use_cases.create_product(command, uow=uow)


def test_create_product_commits_it_with_normalised_fields():
    uow = FakeUnitOfWork()
    product = create(uow, " ab-1 ", name="  Lamp  ")
    assert uow.committed["products"][product.id].sku == "AB-1"
    assert product.name == "Lamp"
    assert product.status is ProductStatus.ACTIVE


def test_create_product_records_product_created_in_the_same_commit():
    uow = FakeUnitOfWork()
    create(uow)
    assert uow.commits == 1
    assert uow.event_names == ["ProductCreated"]


def test_duplicate_sku_is_refused_and_nothing_is_committed():
    uow = FakeUnitOfWork()
    create(uow, "AB-1")
    with pytest.raises(DuplicateSku):
        create(uow, "ab-1")
    assert len(uow.committed["products"]) == 1
    assert uow.event_names == ["ProductCreated"]


def test_update_changes_only_the_given_fields():
    uow = FakeUnitOfWork()
    product = create(uow, description="Bright")
    updated = use_cases.update_product(
        UpdateProduct(product_id=product.id, name="Desk lamp"), uow=uow
    )
    assert (updated.name, updated.description, updated.sku) == ("Desk lamp", "Bright", "SKU-1")
    assert updated.updated_at > product.updated_at


def test_update_with_null_description_clears_it():
    uow = FakeUnitOfWork()
    product = create(uow, description="Bright")
    updated = use_cases.update_product(
        UpdateProduct(product_id=product.id, description=None), uow=uow
    )
    assert updated.description is None


@pytest.mark.parametrize("field", ["sku", "name", "price", "status"])
def test_update_refuses_null_for_required_fields(field: str):
    with pytest.raises(ValidationError, match="must not be null"):
        UpdateProduct.model_validate({"product_id": uuid4(), field: None})


def test_update_that_changes_nothing_raises_no_event():
    uow = FakeUnitOfWork()
    product = create(uow)
    use_cases.update_product(UpdateProduct(product_id=product.id, name="Widget"), uow=uow)
    assert uow.event_names == ["ProductCreated"]


def test_update_event_names_the_changed_fields():
    uow = FakeUnitOfWork()
    product = create(uow)
    use_cases.update_product(
        UpdateProduct.model_validate(
            {"product_id": product.id, "price": {"amount": "1", "currency_code": "EUR"}}
        ),
        uow=uow,
    )
    assert uow.events[-1].payload["changed"] == ["price"]


def test_update_of_an_unknown_product_is_not_found():
    with pytest.raises(ProductNotFound):
        use_cases.update_product(UpdateProduct(product_id=uuid4(), name="x"), uow=FakeUnitOfWork())


def test_delete_removes_the_product_and_records_product_deleted():
    uow = FakeUnitOfWork()
    product = create(uow)
    assert use_cases.delete_product(DeleteProduct(product_id=product.id), uow=uow) == product.id
    assert uow.committed["products"] == {}
    assert uow.event_names == ["ProductCreated", "ProductDeleted"]


def test_get_products_answers_in_the_order_asked_with_none_for_absent_ids():
    uow = FakeUnitOfWork()
    first, second = create(uow, "A"), create(uow, "B")
    missing = uuid4()
    found = use_cases.get_products([second.id, missing, first.id], uow=uow)
    assert found == [second, None, first]


def test_list_products_reports_whether_another_page_follows():
    uow = FakeUnitOfWork()
    for index in range(3):
        create(uow, f"S{index}")
    request = ProductPage(filter=ProductFilter(), sort=ProductSort.SKU_ASC, first=2)
    page, has_next = use_cases.list_products(request, uow=uow)
    assert [p.sku for p in page] == ["S0", "S1"]
    assert has_next


def test_a_sku_is_found_however_the_client_spells_it():
    uow = FakeUnitOfWork()
    product = create(uow, "ab-1")
    assert use_cases.get_product_by_sku("  Ab-1 ", uow=uow) == product
    assert use_cases.get_product_by_sku("AB-2", uow=uow) is None


def test_every_event_the_use_cases_raise_is_one_the_catalog_publishes():
    uow = FakeUnitOfWork()
    product = create(uow)
    use_cases.update_product(UpdateProduct(product_id=product.id, name="Other"), uow=uow)
    use_cases.delete_product(DeleteProduct(product_id=product.id), uow=uow)
    assert {type(event) for event in uow.events} == set(PUBLISHED_EVENTS)


def test_prices_keep_two_decimals():
    uow = FakeUnitOfWork()
    assert create(uow, price={"amount": "19.990", "currency_code": "usd"}).price.amount == Decimal(
        "19.99"
    )


def test_a_sku_lookup_that_is_not_ascii_finds_nothing():
    uow = FakeUnitOfWork()
    create(uow, "STRASSE-1")
    assert use_cases.get_product_by_sku("straße-1", uow=uow) is None

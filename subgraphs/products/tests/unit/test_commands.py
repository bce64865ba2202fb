from decimal import Decimal

import pytest
from pydantic import ValidationError

from app.domain.schemas import CreateProduct


def command(**fields: object) -> CreateProduct:
    base = {"sku": "AB-1", "name": "Widget", "price": {"amount": "1.00", "currency_code": "EUR"}}
    return CreateProduct.model_validate(base | fields)


def price(amount: str, currency_code: str = "EUR") -> dict[str, str]:
    return {"amount": amount, "currency_code": currency_code}


@pytest.mark.parametrize(
    ("given", "stored"),
    [("19.990", "19.99"), ("-0", "0.00"), ("0", "0.00"), ("5", "5.00"), ("1E+2", "100.00")],
)
def test_amounts_are_normalised_to_two_decimals(given: str, stored: str):
    assert str(command(price=price(given)).price.amount) == stored


@pytest.mark.parametrize("amount", ["12.345", "-1", "NaN", "Infinity", "-Infinity", "1E+20"])
def test_invalid_amounts_are_refused(amount: str):
    with pytest.raises(ValidationError):
        command(price=price(amount))


@pytest.mark.parametrize("currency", ["EURO", "E1R", "", "€"])
def test_currency_must_be_three_letters(currency: str):
    with pytest.raises(ValidationError):
        command(price=price("1", currency))


def test_currency_is_normalised_to_upper_case():
    assert command(price=price("1", "usd")).price.currency_code == "USD"


@pytest.mark.parametrize("sku", ["", "-AB", "AB CD", "A" * 65, "AB%", "ÄB"])
def test_invalid_skus_are_refused(sku: str):
    with pytest.raises(ValidationError):
        command(sku=sku)


def test_sku_is_trimmed_and_upper_cased():
    assert command(sku=" ab.c_d-1 ").sku == "AB.C_D-1"


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_name_must_have_one_to_two_hundred_characters(name: str):
    with pytest.raises(ValidationError):
        command(name=name)


def test_description_is_limited_to_five_thousand_characters():
    assert command(description="x" * 5000).description
    with pytest.raises(ValidationError):
        command(description="x" * 5001)


def test_largest_amount_is_accepted():
    assert command(price=price("9999999999.99")).price.amount == Decimal("9999999999.99")

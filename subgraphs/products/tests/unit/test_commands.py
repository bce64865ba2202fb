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


@pytest.mark.parametrize(
    "amount",
    ["1.999999999999999999999999999999", "0.0000000000000000000000000000001", "5E-40", "1.001"],
)
def test_more_than_two_decimals_is_refused_whatever_the_number_of_digits(amount: str):
    with pytest.raises(ValidationError, match="at most 2 decimal places"):
        command(price=price(amount))


@pytest.mark.parametrize(
    ("given", "stored"),
    [("1.990000000000000000000000000000000000", "1.99"), ("0.000", "0.00"), ("7.10E-0", "7.10")],
)
def test_trailing_zeros_do_not_count_as_decimals(given: str, stored: str):
    assert str(command(price=price(given)).price.amount) == stored


@pytest.mark.parametrize("sku", ["straße-1", "\ufb01-1", "Ab-\u0131"])
def test_a_sku_that_upper_cases_into_ascii_is_still_refused(sku: str):
    # ß, the ligature fi and the dotless i upper-case to SS, FI and I: not what was sent.
    with pytest.raises(ValidationError, match="must be 1-64 characters"):
        command(sku=sku)


@pytest.mark.parametrize("currency", ["u\u017fd", "\ufb00r"])
def test_a_currency_that_upper_cases_into_ascii_is_refused(currency: str):
    with pytest.raises(ValidationError, match="three-letter"):
        command(price=price("1", currency))

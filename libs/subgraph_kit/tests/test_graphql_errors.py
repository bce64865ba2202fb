"""The error policy: masked server errors, codes for bad requests, userErrors for broken rules."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from tiny_subgraph.api import SECRET, UserErrorCode, to_user_errors
from tiny_subgraph.notes import NoteNotFound, WriteNote

pytestmark = pytest.mark.anyio

NOTES = "query ($first: Int!) { notes(first: $first) { totalCount } }"


async def post(client: httpx.AsyncClient, query: str, **variables: Any) -> httpx.Response:
    return await client.post("/graphql", json={"query": query, "variables": variables})


def codes(response: httpx.Response) -> list[str]:
    return [error["extensions"]["code"] for error in response.json().get("errors", [])]


async def test_an_unexpected_exception_is_masked_as_an_internal_server_error(client):
    (error,) = (await post(client, "{ boom }")).json()["errors"]
    assert error["message"] == "Internal server error."
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"


async def test_a_masked_error_carries_the_request_id_of_the_response(client):
    response = await post(client, "{ boom }")
    (error,) = response.json()["errors"]
    assert error["extensions"]["requestId"] == response.headers["X-Request-ID"]


async def test_a_masked_error_shows_nothing_of_the_exception(client):
    response = await post(client, "{ boom }")
    assert "hunter2" not in response.text
    assert "postgresql" not in response.text
    assert SECRET not in response.text


async def test_a_syntax_error_is_graphql_parse_failed(client):
    assert codes(await post(client, "{ notes(")) == ["GRAPHQL_PARSE_FAILED"]


async def test_an_unknown_field_is_graphql_validation_failed(client):
    assert codes(await post(client, "{ nope }")) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_a_variable_declared_with_the_wrong_type_is_graphql_validation_failed(client):
    query = "query ($first: String) { notes(first: $first) { totalCount } }"
    assert codes(await post(client, query, first="1")) == ["GRAPHQL_VALIDATION_FAILED"]


@pytest.mark.parametrize(
    "variables", [{"first": "ten"}, {"first": None}, {}], ids=["wrong-type", "null", "missing"]
)
async def test_a_bad_variable_value_is_bad_user_input(client, variables):
    assert codes(await post(client, NOTES, **variables)) == ["BAD_USER_INPUT"]


async def test_a_mutation_answers_a_broken_rule_with_user_errors(client):
    mutation = """mutation ($id: ID) { writeNote(id: $id, input: {noteText: "x"}) {
      note { id } userErrors { field message code } } }"""
    body = (await post(client, mutation, id=str(uuid.uuid4()))).json()
    assert body == {
        "data": {
            "writeNote": {
                "note": None,
                "userErrors": [
                    {"field": ["id"], "message": "No note has this id.", "code": "NOT_FOUND"}
                ],
            }
        }
    }


def refusal(**fields: Any) -> ValidationError:
    with pytest.raises(ValidationError) as refused:
        WriteNote.model_validate({"note_text": "ok"} | fields)
    return refused.value


def plain(errors: list[Any]) -> list[tuple[Any, str, UserErrorCode]]:
    return [(error.field, error.message, error.code) for error in errors]


def test_a_refused_command_field_is_invalid_input_under_the_prefix_in_camel_case():
    assert plain(to_user_errors(refusal(note_text=""))) == [
        (
            ["input", "noteText"],
            "String should have at least 1 character",
            UserErrorCode.INVALID_INPUT,
        )
    ]


def test_the_prefix_names_the_argument_the_input_came_in():
    (error,) = to_user_errors(refusal(note_text=""), prefix=("patch",))
    assert error.field == ["patch", "noteText"]


def test_a_position_in_a_list_is_part_of_the_path():
    (error,) = to_user_errors(refusal(tags=["ok", "x" * 21]))
    assert error.field == ["input", "tags", "1"]


def test_a_refused_top_level_argument_is_named_as_the_api_names_it():
    (error,) = to_user_errors(refusal(note_id="nope"), arguments={"noteId": "id"})
    assert error.field == ["id"]


def test_a_value_error_keeps_its_own_message_without_pydantics_prefix():
    (error,) = to_user_errors(refusal(note_text="nul \x00 inside"))
    assert error.message == "must not contain NUL characters"


def test_a_domain_error_keeps_its_message_and_its_code_becomes_the_services_enum():
    error = NoteNotFound("No note has this id.", field=("note_id",))
    assert plain(to_user_errors(error, arguments={"noteId": "id"})) == [
        (["id"], "No note has this id.", UserErrorCode.NOT_FOUND)
    ]


def test_a_domain_error_about_no_field_has_no_path():
    (error,) = to_user_errors(NoteNotFound("Gone."))
    assert error.field is None

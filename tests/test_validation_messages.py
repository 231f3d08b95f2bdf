"""pydantic's validation errors as careerflow Messages (careerflow.validation): every
pydantic-core error type has a translatable template, and the English of the Message is
pydantic's own msg, word for word; a validator's Invalid is said as its own Message."""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Literal
from uuid import UUID

import pydantic_core
import pytest
from pydantic import (
    AnyUrl,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    PastDate,
    TypeAdapter,
    ValidationError,
    field_validator,
)
from pydantic_core import PydanticCustomError, core_schema

from careerflow.validation import (
    COUNTED,
    DETAILS,
    ERROR_TEMPLATES,
    NOT_MORE,
    NOT_MORE_ONE,
    ONE,
    error_message,
    field_of,
)
from tests.test_engine_messages import placeholders
from words.messages import Invalid, Message

ERROR_TYPES: tuple[str, ...] = typing.get_args(core_schema.ErrorType)


def is_verbatim(message: Message) -> bool:
    return message.template == "{text}"


def pydantic_context(kind: str, count: int = 2) -> dict[str, Any]:
    """The ctx pydantic-core asks for to raise `kind` (learnt from its complaints), with
    a distinct value for each key; the counted one (for "item"/"items") is `count`."""
    ctx: dict[str, Any] = {}
    for _ in range(20):
        try:
            pydantic_core.PydanticKnownError(kind, ctx or None)  # type: ignore[arg-type]
            return ctx
        except (KeyError, TypeError, ValueError) as exc:
            required = re.search(r"'(\w+)' required in context", str(exc))
            text = re.search(r"'(\w+)' context value must be a String", str(exc))
            if required:
                key = required.group(1)
                ctx[key] = count if COUNTED.get(kind) == key else 7 + len(ctx)
            elif text:
                ctx[text.group(1)] = f"<{text.group(1)}>"
            else:
                raise
    raise AssertionError(f"{kind}: cannot learn its context")


def known_error(kind: str, ctx: dict[str, Any]) -> dict[str, Any]:
    """An entry as ValidationError.errors() gives it for this known error."""
    error = pydantic_core.PydanticKnownError(kind, ctx or None)  # type: ignore[arg-type]
    return {"type": kind, "loc": ("x",), "msg": error.message(), "input": None, "ctx": ctx}


def errors_of(annotation: Any, value: Any, *, json: bool = False) -> list[Any]:
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    with pytest.raises(ValidationError) as caught:
        if json:
            adapter.validate_json(value)
        else:
            adapter.validate_python(value)
    return list(caught.value.errors())


# -- the table ---------------------------------------------------------------------------
def test_every_pydantic_error_type_has_a_template() -> None:
    assert len(ERROR_TYPES) > 100
    assert set(ERROR_TYPES) - set(ERROR_TEMPLATES) == set()
    assert set(ERROR_TEMPLATES) - set(ERROR_TYPES) == set()  # no stale entries
    assert set(ONE) == set(COUNTED) <= set(ERROR_TYPES)


def test_the_singular_forms_are_where_pydantic_says_item_or_items() -> None:
    plural = {
        kind
        for kind in ERROR_TYPES
        if "{expected_plural}"
        in pydantic_core.PydanticKnownError(
            kind,  # type: ignore[arg-type]
            pydantic_context(kind) or None,
        ).message_template
    }
    assert plural == set(ONE)


def templates() -> Iterator[tuple[str, Message]]:
    yield from ERROR_TEMPLATES.items()
    yield from ONE.items()
    yield "too_long", NOT_MORE
    yield "too_long", NOT_MORE_ONE


@pytest.mark.parametrize(("kind", "template"), list(templates()))
def test_placeholders_are_filled_from_the_context_pydantic_reports(
    kind: str, template: Message
) -> None:
    # Each placeholder names the ctx key it is taken from; pydantic reports those keys.
    assert placeholders(template.template) == set(template.params)
    assert set(template.params.values()) <= set(pydantic_context(kind))


@pytest.mark.parametrize("kind", ERROR_TYPES)
@pytest.mark.parametrize("count", [1, 2])
def test_every_error_type_says_pydantics_english(kind: str, count: int) -> None:
    error = known_error(kind, pydantic_context(kind, count))
    message = error_message(error)
    assert str(message) == error["msg"]
    assert not is_verbatim(message), message


# -- errors from real models -------------------------------------------------------------
class Colour(Enum):
    RED = "red"
    GREEN = "green"


class Level(int, Enum):
    ONE = 1
    TWO = 2


class Cat(BaseModel):
    kind: Literal["cat"]


class Dog(BaseModel):
    kind: Literal["dog"]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, Field(min_length=3, max_length=10)]
    count: Annotated[int, Field(ge=1, le=5)] = 1
    pet: Annotated[Cat | Dog, Field(discriminator="kind")] | None = None
    either: int | date = 0
    note: str = ""

    @field_validator("note")
    @classmethod
    def _note(cls, value: str) -> str:
        if value == "invalid":
            raise Invalid("a note cannot say {word!r}", word=value)
        if value == "plain":
            raise ValueError("notes must not be plain")
        if value == "assert":  # an assert, which pytest would rewrite in this module
            raise AssertionError("no assertions")
        return value


CASES: list[tuple[str, Any, Any]] = [
    ("int_parsing", int, "x"),
    ("int_from_float", int, 1.5),
    ("int_parsing_size", int, "9" * 5000),
    ("float_parsing", float, "x"),
    ("finite_number", Annotated[float, Field(allow_inf_nan=False)], float("inf")),
    ("bool_parsing", bool, "maybe"),
    ("greater_than_equal", Annotated[int, Field(ge=1)], 0),
    ("greater_than_equal", Annotated[float, Field(ge=1.0)], 0),
    ("greater_than_equal", Annotated[Decimal, Field(ge=Decimal("1.50"))], Decimal(1)),
    ("greater_than_equal", Annotated[date, Field(ge=date(2020, 1, 1))], date(2019, 1, 1)),
    ("greater_than", Annotated[float, Field(gt=0.5)], 0.1),
    ("less_than", Annotated[float, Field(lt=1e-7)], 1.0),
    ("less_than_equal", Annotated[float, Field(le=1e20)], 1e21),
    ("multiple_of", Annotated[float, Field(multiple_of=0.5)], 0.7),
    ("string_too_short", Annotated[str, Field(min_length=1)], ""),
    ("string_too_short", Annotated[str, Field(min_length=3)], "a"),
    ("string_too_long", Annotated[str, Field(max_length=1)], "ab"),
    ("string_pattern_mismatch", Annotated[str, Field(pattern=r"^\d+$")], "a"),
    ("string_type", str, 1),
    ("literal_error", Literal["a", "b", "c"], "d"),
    ("literal_error", Literal["a"], "d"),
    ("literal_error", Literal[1, "x", None], 5),
    ("literal_error", Literal["it's", 'say "or"'], "d"),
    ("enum", Colour, "blue"),
    ("enum", Level, 5),
    ("date_from_datetime_parsing", date, "2020-13-01"),
    ("date_from_datetime_parsing", date, "x"),
    ("date_from_datetime_parsing", date, 10**20),
    ("date_from_datetime_inexact", date, 1.5),
    ("date_past", PastDate, date(2999, 1, 1)),
    ("datetime_from_date_parsing", datetime, "2020-01-01T25:00"),
    ("timezone_aware", AwareDatetime, datetime(2020, 1, 1)),
    ("time_parsing", time, "25:00"),
    ("time_delta_parsing", timedelta, "P1X"),
    ("url_parsing", AnyUrl, "not a url"),
    ("url_parsing", HttpUrl, ""),
    ("url_parsing", HttpUrl, "http://a:99999"),
    ("url_scheme", HttpUrl, "ftp://example.com"),
    ("uuid_parsing", UUID, "x"),
    ("too_short", Annotated[list[int], Field(min_length=2)], [1]),
    ("too_short", Annotated[dict[str, int], Field(min_length=1)], {}),
    ("too_short", Annotated[frozenset[int], Field(min_length=1)], frozenset()),
    ("too_long", Annotated[list[int], Field(max_length=1)], [1, 2]),
    ("too_long", Annotated[set[int], Field(max_length=1)], {1, 2}),
    ("too_long", Annotated[set[int], Field(max_length=2)], {1, 2, 3}),
    ("decimal_max_digits", Annotated[Decimal, Field(max_digits=3)], Decimal("1234")),
    ("decimal_max_places", Annotated[Decimal, Field(decimal_places=1)], Decimal("1.23")),
    ("bytes_too_short", Annotated[bytes, Field(min_length=2)], b"a"),
    ("list_type", list[int], 1),
    ("dict_type", dict[str, int], 1),
]


@pytest.mark.parametrize(("kind", "annotation", "value"), CASES)
def test_a_models_error_says_pydantics_english(kind: str, annotation: Any, value: Any) -> None:
    errors = errors_of(annotation, value)
    assert [e["type"] for e in errors] == [kind]
    message = error_message(errors[0])
    assert str(message) == errors[0]["msg"]
    assert not is_verbatim(message), message


def request_errors(data: Any) -> list[Any]:
    with pytest.raises(ValidationError) as caught:
        Request.model_validate(data)
    return list(caught.value.errors())


@pytest.mark.parametrize(
    "data",
    [
        {},
        5,
        {"title": "ok title", "extra": 1},
        {"title": "ab", "count": 9},
        {"title": "ok title", "pet": {"kind": "cow"}},
        {"title": "ok title", "pet": {}},
        {"title": "ok title", "either": "x"},
        {"title": "ok title", "note": "plain"},
        {"title": "ok title", "note": "assert"},
    ],
)
def test_a_requests_errors_say_pydantics_english(data: Any) -> None:
    for error in request_errors(data):
        message = error_message(error)
        assert str(message) == error["msg"]
        assert not is_verbatim(message), message


def test_json_errors_say_pydantics_english() -> None:
    for annotation, text in [(dict[str, int], "{"), (int, '"x"'), (date, '"2020-01-01T10:00"')]:
        for error in errors_of(annotation, text, json=True):
            message = error_message(error)
            assert str(message) == error["msg"]
            assert not is_verbatim(message), message


def test_an_invalid_in_a_validator_is_its_own_message() -> None:
    (error,) = request_errors({"title": "ok title", "note": "invalid"})
    assert error["msg"] == "Value error, a note cannot say 'invalid'"
    message = error_message(error)
    assert message == Message("a note cannot say {word!r}", word="invalid")
    assert str(message) == "a note cannot say 'invalid'"


def test_a_plain_value_error_keeps_pydantics_prefix() -> None:
    (error,) = request_errors({"title": "ok title", "note": "plain"})
    message = error_message(error)
    assert message == Message("Value error, {error}", error="notes must not be plain")
    (error,) = request_errors({"title": "ok title", "note": "assert"})
    assert error_message(error) == Message("Assertion failed, {error}", error="no assertions")


def test_what_is_not_pydantics_own_is_verbatim() -> None:
    custom = PydanticCustomError("not_a_colour", "{value} is not a colour", {"value": "x"})
    error = {"type": custom.type, "loc": ("c",), "msg": custom.message(), "ctx": custom.context}
    assert error_message(error) == Message.verbatim("x is not a colour")
    # a known type with a message of its own
    mine = {"type": "value_error", "loc": ("body", "period"), "msg": "use YYYY-MM"}
    assert error_message(mine) == Message.verbatim("use YYYY-MM")
    # without context pydantic's placeholders cannot be filled
    bare = {"type": "greater_than", "loc": ("n",), "msg": "Input should be greater than 3"}
    assert error_message(bare) == Message.verbatim("Input should be greater than 3")


def test_fastapis_json_decode_error_is_said() -> None:
    error = {
        "type": "json_invalid",
        "loc": ("body", 1),
        "msg": "JSON decode error",
        "input": {},
        "ctx": {"error": "Expecting value"},
    }
    message = error_message(error)
    assert str(message) == "JSON decode error"
    assert message == Message("JSON decode error")


def test_values_from_pydantics_closed_lists_are_said_in_the_readers_language() -> None:
    def marked(template: str) -> str:
        return f"[{template}]"

    (enum,) = errors_of(Colour, "blue")
    assert error_message(enum).say(marked) == "[Input should be [{choices} or {last}]]".replace(
        "{choices}", "'red'"
    ).replace("{last}", "'green'")
    (short,) = errors_of(Annotated[list[int], Field(min_length=2)], [1])
    assert "[List]" in error_message(short).say(marked)
    (bad_date,) = errors_of(date, "x")
    assert "[input is too short]" in error_message(bad_date).say(marked)
    assert "input is too short" in DETAILS


def test_the_english_of_a_message_survives_json() -> None:
    (error,) = errors_of(Colour, "blue")
    message = error_message(error)
    again = Message.from_json(message.to_json())
    assert again == message
    assert str(again) == error["msg"]


# -- the field ---------------------------------------------------------------------------
def test_the_field_is_the_dotted_location_without_the_request_part() -> None:
    assert field_of({"loc": ("body", "goals", 0, "title")}) == "goals.0.title"
    assert field_of({"loc": ("query", "week")}) == "week"
    assert field_of({"loc": ("body",)}) == "body"
    assert field_of({"loc": ()}) == "body"
    assert field_of({"loc": ("path", "id")}) == "path.id"
    assert field_of({"loc": ("path", "id")}, drop=("path",)) == "id"
    assert field_of({"loc": ("body", "body")}) == "body"

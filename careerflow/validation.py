"""pydantic's validation errors as careerflow Messages, so the API and the dashboards can
say them in the reader's language.

`error_message(error)` takes one entry of `ValidationError.errors()` (FastAPI's
`RequestValidationError.errors()` has the same shape: type, loc, msg, input, ctx, url) and
gives a Message whose English (`str(message)`) is pydantic's own `msg`, word for word:

- a validator's refusal raised as `words.messages.Invalid` is that refusal's Message
  (without pydantic's "Value error, " prefix);
- every pydantic-core error type has its English template in ERROR_TEMPLATES (the text of
  pydantic-core's `message_template_python`), filled from the error's `ctx`: each
  placeholder's value in the table names the ctx key it is taken from. pydantic's
  `{expected_plural}` ("1 character" / "2 characters") is two templates (ONE holds the
  singular), so the Chinese needs no English plural;
- values pydantic takes from a closed list are said in the reader's language too: the kind
  of collection in too_short/too_long ("List"), the parser's complaint in date, time,
  duration and URL errors ("input is too short"), and the "… or …" of a list of choices;
- whatever cannot be said so that the English is pydantic's exactly (an error type this
  table does not know, a PydanticCustomError, a msg someone wrote by hand, a ctx value
  formatted in a way the table does not reproduce) is `Message.verbatim(msg)`: shown as
  pydantic wrote it, in every language.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from words.messages import Invalid, Message

# One template per pydantic-core error type (typing.get_args(core_schema.ErrorType)). The
# value of each placeholder is the name of the ctx key it is filled from.
ERROR_TEMPLATES: dict[str, Message] = {
    "no_such_attribute": Message("Object has no attribute '{attribute}'", attribute="attribute"),
    "json_invalid": Message("Invalid JSON: {error}", error="error"),
    "json_type": Message("JSON input should be string, bytes or bytearray"),
    "needs_python_object": Message(
        "Cannot check `{method_name}` when validating from json, use a JsonOrPython "
        "validator instead",
        method_name="method_name",
    ),
    "recursion_loop": Message("Recursion error - cyclic reference detected"),
    "recursion_depth_exceeded": Message("Recursion error - maximum validation depth exceeded"),
    "missing": Message("Field required"),
    "frozen_field": Message("Field is frozen"),
    "frozen_instance": Message("Instance is frozen"),
    "extra_forbidden": Message("Extra inputs are not permitted"),
    "invalid_key": Message("Keys should be strings"),
    "get_attribute_error": Message("Error extracting attribute: {error}", error="error"),
    "model_type": Message(
        "Input should be a valid dictionary or instance of {class_name}", class_name="class_name"
    ),
    "model_attributes_type": Message(
        "Input should be a valid dictionary or object to extract fields from"
    ),
    "dataclass_type": Message(
        "Input should be a dictionary or an instance of {class_name}", class_name="class_name"
    ),
    "dataclass_exact_type": Message(
        "Input should be an instance of {class_name}", class_name="class_name"
    ),
    "named_tuple_type": Message(
        "Input should be a tuple, list, dictionary or an instance of {class_name}",
        class_name="class_name",
    ),
    "default_factory_not_called": Message(
        "The default factory uses validated data, but at least one validation error occurred"
    ),
    "none_required": Message("Input should be None"),
    "greater_than": Message("Input should be greater than {gt}", gt="gt"),
    "greater_than_equal": Message("Input should be greater than or equal to {ge}", ge="ge"),
    "less_than": Message("Input should be less than {lt}", lt="lt"),
    "less_than_equal": Message("Input should be less than or equal to {le}", le="le"),
    "multiple_of": Message(
        "Input should be a multiple of {multiple_of}", multiple_of="multiple_of"
    ),
    "finite_number": Message("Input should be a finite number"),
    "too_short": Message(
        "{field_type} should have at least {min_length} items after validation, "
        "not {actual_length}",
        field_type="field_type",
        min_length="min_length",
        actual_length="actual_length",
    ),
    "too_long": Message(
        "{field_type} should have at most {max_length} items after validation, not {actual_length}",
        field_type="field_type",
        max_length="max_length",
        actual_length="actual_length",
    ),
    "iterable_type": Message("Input should be iterable"),
    "iteration_error": Message("Error iterating over object, error: {error}", error="error"),
    "string_type": Message("Input should be a valid string"),
    "string_unicode": Message(
        "Input should be a valid string, unable to parse raw data as a unicode string"
    ),
    "string_too_short": Message(
        "String should have at least {min_length} characters", min_length="min_length"
    ),
    "string_too_long": Message(
        "String should have at most {max_length} characters", max_length="max_length"
    ),
    "string_pattern_mismatch": Message(
        "String should match pattern '{pattern}'", pattern="pattern"
    ),
    "string_not_ascii": Message("String should contain only ASCII characters"),
    "enum": Message("Input should be {expected}", expected="expected"),
    "dict_type": Message("Input should be a valid dictionary"),
    "frozen_dict_type": Message("Input should be a valid frozendict"),
    "ordered_dict_type": Message("Input should be a valid OrderedDict"),
    "counter_type": Message("Input should be a valid Counter"),
    "mapping_type": Message("Input should be a valid mapping, error: {error}", error="error"),
    "list_type": Message("Input should be a valid list"),
    "deque_type": Message("Input should be a valid deque"),
    "tuple_type": Message("Input should be a valid tuple"),
    "set_type": Message("Input should be a valid set"),
    "set_item_not_hashable": Message("Set items should be hashable"),
    "bool_type": Message("Input should be a valid boolean"),
    "bool_parsing": Message("Input should be a valid boolean, unable to interpret input"),
    "int_type": Message("Input should be a valid integer"),
    "int_parsing": Message("Input should be a valid integer, unable to parse string as an integer"),
    "int_parsing_size": Message(
        "Unable to parse input string as an integer, exceeded maximum size"
    ),
    "int_from_float": Message(
        "Input should be a valid integer, got a number with a fractional part"
    ),
    "float_type": Message("Input should be a valid number"),
    "float_parsing": Message("Input should be a valid number, unable to parse string as a number"),
    "bytes_type": Message("Input should be a valid bytes"),
    "bytes_too_short": Message(
        "Data should have at least {min_length} bytes", min_length="min_length"
    ),
    "bytes_too_long": Message(
        "Data should have at most {max_length} bytes", max_length="max_length"
    ),
    "bytes_invalid_encoding": Message(
        "Data should be valid {encoding}: {encoding_error}",
        encoding="encoding",
        encoding_error="encoding_error",
    ),
    "value_error": Message("Value error, {error}", error="error"),
    "assertion_error": Message("Assertion failed, {error}", error="error"),
    "literal_error": Message("Input should be {expected}", expected="expected"),
    "missing_sentinel_error": Message("Input should be the 'MISSING' sentinel"),
    "ellipsis_error": Message("Input should be the 'Ellipsis' literal"),
    "date_type": Message("Input should be a valid date"),
    "date_parsing": Message(
        "Input should be a valid date in the format YYYY-MM-DD, {error}", error="error"
    ),
    "date_from_datetime_parsing": Message(
        "Input should be a valid date or datetime, {error}", error="error"
    ),
    "date_from_datetime_inexact": Message(
        "Datetimes provided to dates should have zero time - e.g. be exact dates"
    ),
    "date_past": Message("Date should be in the past"),
    "date_future": Message("Date should be in the future"),
    "time_type": Message("Input should be a valid time"),
    "time_parsing": Message("Input should be in a valid time format, {error}", error="error"),
    "datetime_type": Message("Input should be a valid datetime"),
    "datetime_parsing": Message("Input should be a valid datetime, {error}", error="error"),
    "datetime_object_invalid": Message("Invalid datetime object, got {error}", error="error"),
    "datetime_from_date_parsing": Message(
        "Input should be a valid datetime or date, {error}", error="error"
    ),
    "datetime_past": Message("Input should be in the past"),
    "datetime_future": Message("Input should be in the future"),
    "timezone_naive": Message("Input should not have timezone info"),
    "timezone_aware": Message("Input should have timezone info"),
    "timezone_offset": Message(
        "Timezone offset of {tz_expected} required, got {tz_actual}",
        tz_expected="tz_expected",
        tz_actual="tz_actual",
    ),
    "time_delta_type": Message("Input should be a valid timedelta"),
    "time_delta_parsing": Message("Input should be a valid timedelta, {error}", error="error"),
    "frozen_set_type": Message("Input should be a valid frozenset"),
    # pydantic's placeholder is {class}, a Python keyword: the template says {class_name}.
    "is_instance_of": Message("Input should be an instance of {class_name}", class_name="class"),
    "is_subclass_of": Message("Input should be a subclass of {class_name}", class_name="class"),
    "callable_type": Message("Input should be callable"),
    "union_tag_invalid": Message(
        "Input tag '{tag}' found using {discriminator} does not match any of the expected "
        "tags: {expected_tags}",
        tag="tag",
        discriminator="discriminator",
        expected_tags="expected_tags",
    ),
    "union_tag_not_found": Message(
        "Unable to extract tag using discriminator {discriminator}", discriminator="discriminator"
    ),
    "arguments_type": Message("Arguments must be a tuple, list or a dictionary"),
    "missing_argument": Message("Missing required argument"),
    "unexpected_keyword_argument": Message("Unexpected keyword argument"),
    "missing_keyword_only_argument": Message("Missing required keyword only argument"),
    "unexpected_positional_argument": Message("Unexpected positional argument"),
    "missing_positional_only_argument": Message("Missing required positional only argument"),
    "multiple_argument_values": Message("Got multiple values for argument"),
    "url_type": Message("URL input should be a string or URL"),
    "url_parsing": Message("Input should be a valid URL, {error}", error="error"),
    "url_syntax_violation": Message(
        "Input violated strict URL syntax rules, {error}", error="error"
    ),
    "url_too_long": Message(
        "URL should have at most {max_length} characters", max_length="max_length"
    ),
    "url_scheme": Message(
        "URL scheme should be {expected_schemes}", expected_schemes="expected_schemes"
    ),
    "uuid_type": Message("UUID input should be a string, bytes or UUID object"),
    "uuid_parsing": Message("Input should be a valid UUID, {error}", error="error"),
    "uuid_version": Message(
        "UUID version {expected_version} expected", expected_version="expected_version"
    ),
    "decimal_type": Message("Decimal input should be an integer, float, string or Decimal object"),
    "decimal_parsing": Message("Input should be a valid decimal"),
    "decimal_max_digits": Message(
        "Decimal input should have no more than {max_digits} digits in total",
        max_digits="max_digits",
    ),
    "decimal_max_places": Message(
        "Decimal input should have no more than {decimal_places} decimal places",
        decimal_places="decimal_places",
    ),
    "decimal_whole_digits": Message(
        "Decimal input should have no more than {whole_digits} digits before the decimal point",
        whole_digits="whole_digits",
    ),
    "fraction_type": Message(
        "Fraction input should be an integer, float, string or Fraction object"
    ),
    "fraction_parsing": Message("Input is not a valid fraction"),
    "complex_type": Message(
        "Input should be a valid python complex object, a number, or a valid complex string "
        "following the rules at https://docs.python.org/3/library/functions.html#complex"
    ),
    "complex_str_parsing": Message(
        "Input should be a valid complex string following the rules at "
        "https://docs.python.org/3/library/functions.html#complex"
    ),
}

# pydantic's {expected_plural}: the singular forms, used when the number counted (the ctx
# key in COUNTED) is 1; ERROR_TEMPLATES holds the plural.
ONE: dict[str, Message] = {
    "too_short": Message(
        "{field_type} should have at least {min_length} item after validation, not {actual_length}",
        field_type="field_type",
        min_length="min_length",
        actual_length="actual_length",
    ),
    "too_long": Message(
        "{field_type} should have at most {max_length} item after validation, not {actual_length}",
        field_type="field_type",
        max_length="max_length",
        actual_length="actual_length",
    ),
    "string_too_short": Message(
        "String should have at least {min_length} character", min_length="min_length"
    ),
    "string_too_long": Message(
        "String should have at most {max_length} character", max_length="max_length"
    ),
    "bytes_too_short": Message(
        "Data should have at least {min_length} byte", min_length="min_length"
    ),
    "bytes_too_long": Message(
        "Data should have at most {max_length} byte", max_length="max_length"
    ),
    "url_too_long": Message(
        "URL should have at most {max_length} character", max_length="max_length"
    ),
    "decimal_max_digits": Message(
        "Decimal input should have no more than {max_digits} digit in total",
        max_digits="max_digits",
    ),
    "decimal_max_places": Message(
        "Decimal input should have no more than {decimal_places} decimal place",
        decimal_places="decimal_places",
    ),
    "decimal_whole_digits": Message(
        "Decimal input should have no more than {whole_digits} digit before the decimal point",
        whole_digits="whole_digits",
    ),
}
COUNTED: dict[str, str] = {
    "too_short": "min_length",
    "too_long": "max_length",
    "string_too_short": "min_length",
    "string_too_long": "max_length",
    "bytes_too_short": "min_length",
    "bytes_too_long": "max_length",
    "url_too_long": "max_length",
    "decimal_max_digits": "max_digits",
    "decimal_max_places": "decimal_places",
    "decimal_whole_digits": "whole_digits",
}

# too_long when pydantic stopped counting the input (a set, an iterator): "…, not more".
NOT_MORE = Message(
    "{field_type} should have at most {max_length} items after validation, not more",
    field_type="field_type",
    max_length="max_length",
)
NOT_MORE_ONE = Message(
    "{field_type} should have at most {max_length} item after validation, not more",
    field_type="field_type",
    max_length="max_length",
)

# Messages that are not pydantic's but come in the same list: FastAPI's, for a request
# body that is not JSON.
OTHER_MESSAGES: dict[str, Message] = {m.template: m for m in (Message("JSON decode error"),)}

# The kinds of collection pydantic names in too_short / too_long (ctx field_type).
FIELD_TYPES: dict[str, Message] = {
    m.template: m
    for m in (
        Message("List"),
        Message("Tuple"),
        Message("Set"),
        Message("Frozenset"),
        Message("Dictionary"),
        Message("Deque"),
        Message("Value"),
    )
}

# What the date/time/duration parser (speedate) and the URL parser say is wrong (ctx error
# of the *_parsing types). Others (JSON and UUID parser errors, which carry positions and
# characters) stay in English inside the translated sentence.
DETAILS: dict[str, Message] = {
    m.template: m
    for m in (
        Message("input is too short"),
        Message("unexpected extra characters at the end of the input"),
        Message("invalid datetime separator, expected `T`, `t`, `_` or space"),
        Message("invalid date separator, expected `-`"),
        Message("Timestamp is not an exact date"),
        Message("invalid character in year"),
        Message("invalid character in month"),
        Message("invalid character in day"),
        Message("invalid time separator, expected `:`"),
        Message("invalid character in hour"),
        Message("invalid character in minute"),
        Message("invalid character in second"),
        Message("invalid character in second fraction"),
        Message("invalid timezone sign"),
        Message("invalid timezone hour"),
        Message("invalid timezone minute"),
        Message("timezone minute value is outside expected range of 0-59"),
        Message("timezone offset must be less than 24 hours"),
        Message("month value is outside expected range of 1-12"),
        Message("day value is outside expected range"),
        Message("hour value is outside expected range of 0-23"),
        Message("minute value is outside expected range of 0-59"),
        Message("second value is outside expected range of 0-59"),
        Message("second fraction value is more than 6 digits long"),
        Message("second fraction digits missing after `.`"),
        Message("invalid digit in duration"),
        Message("`t` character repeated in duration"),
        Message("quantity fraction invalid in duration"),
        Message("quantity invalid in time part of duration"),
        Message("quantity invalid in date part of duration"),
        Message('"day" identifier in duration not correctly formatted'),
        Message("a numeric value in the duration is too large"),
        Message("durations may not exceed 999,999,999 days"),
        Message("dates before 1600 are not supported as unix timestamps"),
        Message("dates after 9999 are not supported as unix timestamps"),
        Message("numeric times may not exceed 86,399 seconds"),
        Message("years before 1600 are not supported"),
        Message("input is empty"),
        Message("empty host"),
        Message("invalid international domain name"),
        Message("invalid port number"),
        Message("invalid IPv4 address"),
        Message("invalid IPv6 address"),
        Message("invalid domain character"),
        Message("relative URL without a base"),
        Message("relative URL with a cannot-be-a-base base"),
    )
}

# ctx keys whose value is pydantic's list of choices: "'a', 'b' or 'c'".
_CHOICES = ("expected", "expected_schemes")
_CHOICE = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[-+\w.]+")


def parse_day(option: str, text: str) -> date | None:
    """An optional day given as YYYY-MM-DD ('' for none): the one parse the CLI's options
    and the pages' query parameters share; `option` names where it came from."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(
            "{option} {text!r} is not a day; use YYYY-MM-DD", option=option, text=text
        ) from None


def error_message(error: Mapping[str, Any]) -> Message:
    """One pydantic validation error as a Message whose English is pydantic's `msg`."""
    msg = error.get("msg")
    if isinstance(msg, Message):
        return msg
    ctx = error.get("ctx") or {}
    kind = str(error.get("type", ""))
    cause = ctx.get("error")
    if isinstance(cause, Invalid):
        return cause.message
    text = "" if msg is None else str(msg)
    template = _template(kind, ctx)
    if template is not None:
        # Said with the translatable values first, then with pydantic's own text for them.
        for said in (True, False):
            message = _filled(template, kind, ctx, said)
            if message is not None and (msg is None or str(message) == text):
                return message
    if text in OTHER_MESSAGES:
        return OTHER_MESSAGES[text]
    return Message.verbatim(text)


def field_of(error: Mapping[str, Any], drop: tuple[str, ...] = ("body", "query")) -> str:
    """The field an error is about, dotted ("goals.0.title"), without the part of the
    request it came in (FastAPI's "body", "query"); "body" for the request as a whole."""
    loc = list(error.get("loc") or ())
    if loc and loc[0] in drop:
        loc = loc[1:]
    return ".".join(str(part) for part in loc) or "body"


def _template(kind: str, ctx: Mapping[str, Any]) -> Message | None:
    if kind == "too_long" and "actual_length" in ctx and ctx["actual_length"] is None:
        return NOT_MORE_ONE if ctx.get("max_length") == 1 else NOT_MORE
    if kind in COUNTED and kind in ONE and ctx.get(COUNTED[kind]) == 1:
        return ONE[kind]
    return ERROR_TEMPLATES.get(kind)


def _filled(template: Message, kind: str, ctx: Mapping[str, Any], said: bool) -> Message | None:
    values: dict[str, Any] = {}
    for name, key in template.params.items():
        if key not in ctx:
            return None
        values[name] = _value(kind, key, ctx[key], said)
    return Message(template.template, **values)


def _value(kind: str, key: str, value: Any, said: bool) -> Any:
    """A ctx value as pydantic writes it in msg (JSON-able), or as a Message when `said`
    and it is one of the values the engine catalogue can say."""
    if said and isinstance(value, str):
        if key == "field_type" and value in FIELD_TYPES:
            return FIELD_TYPES[value]
        if key == "error" and kind not in ("value_error", "assertion_error") and value in DETAILS:
            return DETAILS[value]
        if key in _CHOICES:
            return _choices(value)
    return _plain(value)


def _choices(text: str) -> Any:
    """pydantic's "'a', 'b' or 'c'" as a Message, so the "or" is said too."""
    head, sep, last = text.rpartition(" or ")
    if not sep or not _CHOICE.fullmatch(last):
        return text
    items = _CHOICE.findall(head)
    if ", ".join(items) != head:
        return text
    return Message("{choices} or {last}", choices=head, last=last)


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return _float(value)
    return str(value)  # Decimal, an exception (value_error), a date: as pydantic wrote it


def _float(value: float) -> str:
    """A float as pydantic-core (Rust) writes it: shortest digits, no exponent, no ".0"."""
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    text = format(Decimal(repr(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text

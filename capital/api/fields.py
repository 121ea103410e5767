"""What the public simulators' schemas share: exact numbers written as strings, a refusal at the
field it is about, and the refusals' messages as the command prints them."""

import json
from collections.abc import Callable
from typing import Any

import pydantic
from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import InitErrorDetails, PydanticCustomError


def exact_number(value: Any) -> Any:
    """Amounts and rates come as strings (or whole numbers): a JSON 0.1 is already a float."""
    if isinstance(value, bool | float):
        raise PydanticCustomError(
            "exact_number", 'Write amounts and percentages as strings, e.g. "10000.00" or "2.5".'
        )
    return value


Exact = BeforeValidator(exact_number)

# The schema's patterns, each accepting only what the field's validation accepts (JSON Schema
# patterns are ECMA-262 regular expressions: the look-aheads below are part of it).
AMOUNT = r"^-?\d{1,12}(\.\d{1,2})?$"  # any amount in pennies, negative for a loss
UNSIGNED = r"^\d{1,12}(\.\d{1,2})?$"  # zero or more
POSITIVE = r"^(?!0*(\.0{1,2})?$)\d{1,12}(\.\d{1,2})?$"  # more than zero
PERCENT = r"^0*(100(\.0{1,2})?|[1-9]?\d(\.\d{1,2})?)$"  # 0 to 100
POSITIVE_PERCENT = r"^(?!0*(\.0{1,2})?$)0*(100(\.0{1,2})?|[1-9]?\d(\.\d{1,2})?)$"  # more than 0, at most 100
MULTIPLE = r"^0*[1-9]\d{0,2}(\.\d{1,2})?$"  # at least 1 (three whole digits at most)
WEIGHT = r"^\d{1,12}(\.\d{1,4})?$"  # zero or more, four decimals


class FieldError(pydantic.BaseModel):
    """One refused field: `loc` names it (e.g. ["body", "payload", "holdings", 1, "capital"])."""

    type: str
    loc: list[str | int]
    msg: str


class ValidationErrorOut(pydantic.BaseModel):
    """The 422 answer: every refused field at once, each with its own message."""

    detail: list[FieldError]


def decimal_text(pattern: str, description: str, example: str) -> WithJsonSchema:
    """How the schema shows an exact number: as the string it should be sent as."""
    return WithJsonSchema(
        {"type": "string", "pattern": pattern, "description": description, "examples": [example]}
    )


def refuse(loc: tuple, message: str, model: pydantic.BaseModel):
    """Fail validation at `loc` (a field, not the whole object), so the error names the field."""
    raise pydantic.ValidationError.from_exception_data(
        type(model).__name__,
        [InitErrorDetails(type=PydanticCustomError("invalid_terms", message), loc=loc, input=None)],
    )


class InputError(Exception):
    """The input was refused; `messages` name each field at fault ("holdings[1].capital: …")."""

    def __init__(self, messages: list[str]):
        super().__init__("\n".join(messages))
        self.messages = messages


def error_messages(error: pydantic.ValidationError) -> list[str]:
    return [f"{field_path(item['loc'])}: {item['msg']}" for item in error.errors(include_url=False)]


def field_path(loc: tuple) -> str:
    """("holdings", 1, "capital") → "holdings[1].capital"."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "input"


def parse_with(validate: Callable[[Any], Any], text: str):
    """Decode `text` as JSON and check it with `validate` (a schema's `model_validate`)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError([f"input: not valid JSON ({error})."]) from None
    try:
        return validate(data)
    except pydantic.ValidationError as error:
        raise InputError(error_messages(error)) from None

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

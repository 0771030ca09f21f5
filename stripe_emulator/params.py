"""Checking requests against the parameter TypedDicts shipped in the `stripe` package.

    validate(form, SessionCreateParams) -> the same params, typed: ints, bools, lists, Decimals

The package's `stripe/params/**` TypedDicts are generated from Stripe's OpenAPI spec, so they
are the closest local stand-in for what the API accepts. The walk understands exactly what
they use: nested TypedDict (required keys via `__required_keys__`), Literal, int, str, bool,
float, Decimal, List[...], Dict[str, ...], Union[...] (`Literal[""]` means "unset").
`Union[Literal[...], str]` is how the package keeps enums open for forward compatibility; the
API itself still rejects unknown values, so the Literal is enforced here.
Errors name the parameter the way Stripe does: `line_items[0][price_data][unit_amount]`.
"""

from __future__ import annotations

import functools
import re
import types
import typing
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, Union

from stripe import RequestOptions, StripeObject
from typing_extensions import is_typeddict

from stripe_emulator.errors import (
    INVALID_ARRAY,
    INVALID_BOOLEAN,
    INVALID_DECIMAL,
    INVALID_ENUM,
    INVALID_HASH,
    INVALID_INTEGER,
    INVALID_STRING,
    UNKNOWN_PARAMETER,
    StripeError,
    invalid_param,
    missing_param,
)

_INTEGER = re.compile(r"^-?\d+$")
# Request options (api_key, idempotency_key, ...) travel as headers, never as params.
_OPTION_KEYS = frozenset(RequestOptions.__annotations__)
_OPTION_NAMES = {"StripeContext": str, "Mapping": typing.Mapping}


def validate(form: dict[str, Any], params_type: Any) -> dict[str, Any]:
    """`form` (from forms.decode) checked and converted; StripeError naming the bad param."""
    result = _check_typeddict(form, params_type, "", top=True)
    assert isinstance(result, dict)
    return result


@functools.cache
def _fields(typeddict: Any, top: bool) -> tuple[dict[str, Any], frozenset[str]]:
    # The inherited RequestOptions annotations are strings naming Mapping and StripeContext
    # (the latter imported only under TYPE_CHECKING); give them something to resolve to.
    hints = typing.get_type_hints(typeddict, localns=_OPTION_NAMES)
    required: frozenset[str] = typeddict.__required_keys__
    if top:
        hints = {k: v for k, v in hints.items() if k not in _OPTION_KEYS}
    return hints, required & frozenset(hints)


def _name(path: str, key: str) -> str:
    return f"{path}[{key}]" if path else key


def _check_typeddict(value: Any, typeddict: Any, path: str, *, top: bool = False) -> Any:
    if not isinstance(value, dict):
        raise invalid_param(INVALID_HASH, path)
    hints, required = _fields(typeddict, top)
    for key in value:
        if key not in hints:
            param = _name(path, key)
            raise invalid_param(UNKNOWN_PARAMETER.format(param=param), param, "parameter_unknown")
    for key in sorted(required):
        if key not in value:
            raise missing_param(_name(path, key))
    return {key: _check(item, hints[key], _name(path, key)) for key, item in value.items()}


def _check(value: Any, tp: Any, path: str) -> Any:
    if is_typeddict(tp):
        return _check_typeddict(value, tp, path)
    origin = typing.get_origin(tp)
    if origin is Literal:
        return _check_literal(value, typing.get_args(tp), path)
    if origin in (Union, types.UnionType):
        return _check_union(value, typing.get_args(tp), path)
    if origin is list:
        return _check_list(value, typing.get_args(tp)[0], path)
    # UntypedStripeObject[str] (a StripeObject) is how the package types metadata it hands
    # back: a hash. Only the package's public names are used here (stripe.StripeObject).
    if origin is dict or (isinstance(origin, type) and issubclass(origin, StripeObject)):
        if not isinstance(value, dict):
            raise invalid_param(INVALID_HASH, path)
        item_type = typing.get_args(tp)[-1]
        return {key: _check(item, item_type, _name(path, key)) for key, item in value.items()}
    return _check_scalar(value, tp, path)


def _check_literal(value: Any, choices: tuple[Any, ...], path: str) -> Any:
    if value in choices:
        return value
    listed = ", ".join(str(c) for c in choices if c != "")
    raise invalid_param(INVALID_ENUM.format(param=path, choices=listed), path)


def _check_union(value: Any, arms: tuple[Any, ...], path: str) -> Any:
    literals = [a for a in arms if typing.get_origin(a) is Literal]
    others = [a for a in arms if typing.get_origin(a) is not Literal and a is not type(None)]
    choices = tuple(c for lit in literals for c in typing.get_args(lit))
    if value in choices:
        return value
    # Union[Literal["a", "b"], str]: an enum kept open in the package, closed in the API.
    if others == [str] and any(c != "" for c in choices):
        return _check_literal(value, choices, path)
    first_error: StripeError | None = None
    for arm in others:
        try:
            return _check(value, arm, path)
        except StripeError as error:
            first_error = first_error or error
    if first_error is not None:
        raise first_error
    return _check_literal(value, choices, path)


def _check_list(value: Any, item_type: Any, path: str) -> list[Any]:
    # forms.decode leaves arrays as {"0": ..., "1": ...}; they must be dense from 0.
    if not isinstance(value, dict) or sorted(value, key=_index) != [
        str(i) for i in range(len(value))
    ]:
        raise invalid_param(INVALID_ARRAY, path)
    return [_check(value[str(i)], item_type, f"{path}[{i}]") for i in range(len(value))]


def _index(key: str) -> int:
    return int(key) if key.isdigit() else -1


def _check_scalar(value: Any, tp: Any, path: str) -> Any:
    if isinstance(value, dict):
        raise invalid_param(INVALID_STRING.format(value=_render(value)), path)
    if tp is str or tp is Any:
        return value
    if tp is int:
        if not _INTEGER.match(value):
            raise invalid_param(
                INVALID_INTEGER.format(value=value), path, "parameter_invalid_integer"
            )
        return int(value)
    if tp is bool:
        if value not in ("true", "false"):
            raise invalid_param(INVALID_BOOLEAN.format(value=value), path)
        return value == "true"
    if tp in (float, Decimal):
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise invalid_param(INVALID_DECIMAL.format(value=value), path) from None
        return float(number) if tp is float else number
    # A type the walk does not know (UntypedStripeObject, ...): accept it as sent.
    return value


def _render(value: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: ..." for k in value) + "}"

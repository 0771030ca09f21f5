"""Stripe's error responses.

    StripeError(message, status=400, type="invalid_request_error", code=None, param=None)
        .body() -> {"error": {"type", "code", "message", "param"}}

Status codes and types as the `stripe` library maps them to exceptions
(https://docs.stripe.com/api/errors): 400 invalid_request_error -> InvalidRequestError
(idempotency_error -> IdempotencyError), 401 -> AuthenticationError, 402 card_error ->
CardError, 404 -> InvalidRequestError with code resource_missing.
"""

from __future__ import annotations

from typing import Any

NO_API_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization "
    "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
)
INVALID_API_KEY = "Invalid API Key provided: {masked}"
UNKNOWN_PARAMETER = "Received unknown parameter: {param}"
MISSING_PARAMETER = "Missing required param: {param}."
INVALID_INTEGER = "Invalid integer: {value}"
INVALID_BOOLEAN = "Invalid boolean: {value}"
INVALID_DECIMAL = "Invalid decimal: {value}"
INVALID_STRING = "Invalid string: {value}"
INVALID_ARRAY = "Invalid array"
INVALID_HASH = "Invalid object"
INVALID_ENUM = "Invalid {param}: must be one of {choices}"
NO_SUCH = "No such {kind}: '{id}'"
UNRECOGNIZED_URL = (
    "Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
    "or we can help at https://support.stripe.com/."
)
IDEMPOTENCY_MISMATCH = (
    "Keys for idempotent requests can only be used with the same parameters they were first "
    "used with. Try using a key other than '{key}' if you meant to execute a different request."
)


class StripeError(Exception):
    """An API error, rendered the way Stripe renders it.

    `replayable` is False for errors raised before the request started executing (auth,
    parameter validation): Stripe does not store those for idempotent replay.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        replayable: bool = True,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.code = code
        self.param = param
        self.decline_code = decline_code
        self.replayable = replayable

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "type": self.type,
            "code": self.code,
            "message": self.message,
            "param": self.param,
        }
        if self.code is not None:
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.decline_code is not None:
            error["decline_code"] = self.decline_code
        return {"error": error}


def invalid_param(message: str, param: str, code: str = "parameter_invalid") -> StripeError:
    """A parameter validation error: never stored for idempotent replay."""
    return StripeError(message, code=code, param=param, replayable=False)


def missing_param(param: str) -> StripeError:
    """A required parameter is absent: Stripe's message and code."""
    return invalid_param(MISSING_PARAMETER.format(param=param), param, "parameter_missing")


def no_such(kind: str, id: str, param: str) -> StripeError:
    return StripeError(
        NO_SUCH.format(kind=kind, id=id), status=404, code="resource_missing", param=param
    )

"""Decoding Stripe's form encoding into nested dicts.

The `stripe` library flattens params (stripe/_encode.py `_api_encode`):

    metadata[source]=footer            -> {"metadata": {"source": "footer"}}
    line_items[0][price_data][currency]=eur
                                       -> {"line_items": {"0": {"price_data": {...}}}}
    expand[]=latest_charge             -> {"expand": {"0": "latest_charge"}}

Arrays stay dicts keyed "0", "1", ... here: only the parameter types (params.py) know whether
`metadata[0]` is an array element or a metadata key named "0".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from stripe_emulator.errors import INVALID_HASH, invalid_param

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")

Form = dict[str, Any]


def decode(pairs: Iterable[tuple[str, str]]) -> Form:
    """Nest flat `(key, value)` pairs; a key both scalar and nested is Stripe's 400."""
    root: Form = {}
    for key, value in pairs:
        match = _KEY.match(key)
        if match is None:
            raise invalid_param(INVALID_HASH, key)
        parts = [match.group(1), *_PART.findall(match.group(2))]
        node = root
        for depth, part in enumerate(parts):
            name = _key_name(node, part)
            if depth == len(parts) - 1:
                if isinstance(node.get(name), dict):
                    raise invalid_param(INVALID_HASH, key)
                node[name] = value
                break
            child = node.setdefault(name, {})
            if not isinstance(child, dict):
                raise invalid_param(INVALID_HASH, key)
            node = child
    return root


def _key_name(node: Form, part: str) -> str:
    # `a[]=x&a[]=y` (Rails style, used by curl examples) appends to the array.
    return str(len(node)) if part == "" else part

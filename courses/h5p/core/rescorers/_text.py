"""Small helpers shared by the re-scorers: JavaScript-compatible text rules.

The players run in a browser, so "whitespace" and "trim" mean what JavaScript
means by them; Python's own definitions differ at the edges (\\x1c-\\x1f count as
space in Python, U+FEFF in JavaScript). Matching them exactly keeps a server
score from disagreeing with an honest browser score.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from courses.h5p.core.rescoring import NotRescorable

# JavaScript's \s (ECMAScript WhiteSpace and LineTerminator).
JS_SPACE = (
    " \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
# The same set as the body of a regular-expression character class.
JS_SPACE_CLASS = (
    r" \t\n\v\f\r\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)


def js_trim(value: str) -> str:
    """String.prototype.trim()."""
    return value.strip(JS_SPACE)


def js_trim_end(value: str) -> str:
    """value.replace(/\\s+$/, '')."""
    return value.rstrip(JS_SPACE)


def behaviour_of(params: Mapping[str, Any]) -> Mapping[str, Any]:
    """The `behaviour` group, {} when absent (the players then use defaults)."""
    behaviour = params.get("behaviour", {})
    if behaviour is None:
        return {}
    if not isinstance(behaviour, Mapping):
        raise NotRescorable("behaviour is not an object")
    return behaviour


def number(value: Any, what: str) -> Decimal:
    """A JSON number as a Decimal; anything else makes the content unverifiable."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise NotRescorable(f"{what} is not a number")
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise NotRescorable(f"{what} is not a number") from None
    if not result.is_finite():
        raise NotRescorable(f"{what} is not finite")
    return result


def indexes(items: list[str], count: int) -> list[int]:
    """Distinct indexes below `count` written as plain decimal numbers."""
    result = []
    for item in items:
        # isdecimal() alone would accept other scripts' digits ("٣").
        if not item.isascii() or not item.isdecimal() or len(item) > 6:
            raise NotRescorable(f"not an index: {item[:20]!r}")
        value = int(item)
        if value >= count:
            raise NotRescorable(f"index {value} out of range")
        result.append(value)
    if len(set(result)) != len(result):
        raise NotRescorable("an index is repeated")
    return result

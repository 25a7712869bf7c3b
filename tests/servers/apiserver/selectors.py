"""Label and field selectors as the API server parses them (k8s.io/apimachinery `labels.Parse`
and `fields.ParseSelector`), compiled once per request into a predicate over an object dict.

Label selectors: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x,y)`, `a` (exists), `!a`, and
`a>1`/`a<1`; `!=` and `notin` also match objects without the label, as on a real server.
Field selectors: `f=v`, `f==v`, `f!=v` on metadata.name, metadata.namespace and the fields the
resource declares (pods: status.phase, spec.nodeName, ...; events: involvedObject.*, reason,
type, ...); another field is a 400 `field label not supported: f`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Predicate = Callable[[Mapping[str, Any]], bool]


class SelectorError(ValueError):
    """A 400 BadRequest: the message is what the real server says."""


def _split_top(text: str) -> list[str]:
    """Split at commas outside parentheses (`a in (x,y),b` is two requirements)."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


_SET = re.compile(r"^(?P<key>[^\s!=<>()]+)\s+(?P<op>in|notin)\s*\((?P<values>[^)]*)\)$")
_CMP = re.compile(r"^(?P<key>[^\s!=<>()]+)\s*(?P<op>==|!=|=|>|<)\s*(?P<value>[^\s!=<>(),]*)$")
_KEY = re.compile(r"^(?P<neg>!?)\s*(?P<key>[^\s!=<>(),]+)$")


def _label_requirement(text: str) -> Callable[[Mapping[str, str]], bool]:
    if m := _SET.match(text):
        key, values = m["key"], {v.strip() for v in m["values"].split(",") if v.strip()}
        if m["op"] == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    if m := _CMP.match(text):
        key, op, value = m["key"], m["op"], m["value"]
        if op in ("=", "=="):
            return lambda labels: labels.get(key) == value
        if op == "!=":
            return lambda labels: labels.get(key) != value
        try:
            number = int(value)
        except ValueError:
            raise SelectorError(
                "unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer"
            ) from None
        if op == ">":
            return lambda labels: _int(labels.get(key)) is not None and _int(labels.get(key)) > number  # type: ignore[operator]
        return lambda labels: _int(labels.get(key)) is not None and _int(labels.get(key)) < number  # type: ignore[operator]
    if m := _KEY.match(text):
        key = m["key"]
        if m["neg"]:
            return lambda labels: key not in labels
        return lambda labels: key in labels
    raise SelectorError(f"unable to parse requirement: {text!r}")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def label_selector(text: str | None) -> Predicate | None:
    """None when the selector selects everything."""
    if not text or not text.strip():
        return None
    requirements = [_label_requirement(part) for part in _split_top(text)]

    def matches(obj: Mapping[str, Any]) -> bool:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        return all(req(labels) for req in requirements)

    return matches


def field_value(obj: Mapping[str, Any], path: str) -> str:
    """The field as the server's field set holds it: missing is the empty string."""
    if path == "source":  # events: the source's component
        return str(((obj.get("source") or {}).get("component")) or "")
    value: Any = obj
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return ""
        value = value.get(part)
    if value is None:
        return ""
    return str(value)


def field_selector(text: str | None, allowed: tuple[str, ...]) -> Predicate | None:
    if not text or not text.strip():
        return None
    checks: list[tuple[str, bool, str]] = []
    for part in _split_top(text):
        m = re.match(r"^([^=!]+)(==|!=|=)(.*)$", part)
        if not m:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{part}'")
        path, op, value = m[1].strip(), m[2], m[3].strip()
        if path not in ("metadata.name", "metadata.namespace", *allowed):
            raise SelectorError(f"field label not supported: {path}")
        checks.append((path, op == "!=", value))

    def matches(obj: Mapping[str, Any]) -> bool:
        for path, negate, value in checks:
            if (field_value(obj, path) == value) == negate:
                return False
        return True

    return matches


def both(*predicates: Predicate | None) -> Predicate | None:
    given = [p for p in predicates if p is not None]
    if not given:
        return None
    if len(given) == 1:
        return given[0]
    return lambda obj: all(p(obj) for p in given)


def format_label_selector(selector: Mapping[str, Any] | None) -> str:
    """`metav1.FormatLabelSelector`: a LabelSelector written as a selector string."""
    if not selector:
        return "<none>"
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        op, key, values = expr.get("operator"), expr.get("key"), expr.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(str(key))
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts) or "<none>"

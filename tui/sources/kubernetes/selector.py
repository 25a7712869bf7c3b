"""Label selectors (`app=x,tier!=db`, `env in (a,b)`), applied here too: kmock and some proxies
ignore them."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import partial

_SET_EXPR = re.compile(r"^\s*([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")


def parse_selector(text: str | None) -> Callable[[Mapping[str, str]], bool]:
    """A Kubernetes label selector as a predicate over a label map: `a=b`, `a==b`, `a!=b`,
    `a in (x,y)`, `a notin (x)`, `a`, `!a`, joined by commas. Raises ValueError when malformed."""
    if not text or not text.strip():
        return lambda labels: True
    tests: list[Callable[[Mapping[str, str]], bool]] = []
    for term in _split_terms(text):
        term = term.strip()
        if not term:
            raise ValueError(f"empty term in selector {text!r}")
        set_match = _SET_EXPR.match(term)
        if set_match:
            key, op, values = set_match.group(1), set_match.group(2), set_match.group(3)
            options = frozenset(v.strip() for v in values.split(",") if v.strip())
            if op == "in":
                tests.append(partial(_label_in, key, options, True))
            else:
                tests.append(partial(_label_in, key, options, False))
            continue
        for op in ("!=", "==", "="):
            if op in term:
                key, _, value = term.partition(op)
                key, value = key.strip(), value.strip()
                if not key:
                    raise ValueError(f"missing label key in {term!r}")
                if op == "!=":
                    tests.append(partial(_label_in, key, frozenset((value,)), False))
                else:
                    tests.append(partial(_label_in, key, frozenset((value,)), True))
                break
        else:
            if term.startswith("!"):
                key = term[1:].strip()
                tests.append(partial(_has_label, key, False))
            elif re.fullmatch(r"[\w./-]+", term):
                tests.append(partial(_has_label, term, True))
            else:
                raise ValueError(f"cannot read selector term {term!r}")
    return lambda labels: all(test(labels) for test in tests)


def _label_in(key: str, values: frozenset[str], wanted: bool, labels: Mapping[str, str]) -> bool:
    return (labels.get(key) in values) == wanted


def _has_label(key: str, wanted: bool, labels: Mapping[str, str]) -> bool:
    return (key in labels) == wanted


def _split_terms(text: str) -> list[str]:
    """Split on commas that are not inside `( … )`."""
    terms: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            terms.append("".join(current))
            current = []
        else:
            current.append(ch)
    terms.append("".join(current))
    return terms

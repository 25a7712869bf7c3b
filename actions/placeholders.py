"""`{service} {namespace} {deployment} {pod} {context}` in a team's action: which a template uses,
their values for a selection, and substitution that cannot change what the template means.

Substitution is textual and only for these five names, so any other brace in a command (a jq
filter, a JSON literal) stays as written. Each caller chooses the quoting for where the value
lands: none for one argv element (it stays one argument whatever it contains), URL-quoting in a
URL; a shell string gets references to environment variables instead (`actions.command`). A
value is refused outright when it holds control characters (a newline would end a header or a
shell line) or starts with "-" (alone in an argv element it would read as an option);
Kubernetes names never do either.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from actions.errors import NotApplicableError

if TYPE_CHECKING:
    from actions.registry import Target

NAMES = ("service", "namespace", "deployment", "pod", "context")
PLACEHOLDER = re.compile(r"\{(" + "|".join(NAMES) + r")\}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def used(templates: Iterable[str]) -> frozenset[str]:
    """The placeholder names the templates refer to."""
    return frozenset(m.group(1) for t in templates for m in PLACEHOLDER.finditer(t))


def values_of(target: Target) -> dict[str, str]:
    """The placeholders' values for a selection; absent ones are left out."""
    raw = {
        "service": target.service,
        "namespace": target.namespace,
        "deployment": target.deployment,
        "pod": target.pod,
        "context": target.context,
    }
    return {name: value for name, value in raw.items() if value}


def check_values(names: Iterable[str], values: Mapping[str, str]) -> None:
    """Raise `NotApplicableError` unless every name has a safe value."""
    for name in sorted(names):
        value = values.get(name)
        if not value:
            raise NotApplicableError(f"{{{name}}} has no value for this selection: select a {name}")
        if _CONTROL.search(value):
            raise NotApplicableError(f"{{{name}}} value {value!r} holds control characters; not used")
        if value.startswith("-"):
            raise NotApplicableError(
                f"{{{name}}} value {value!r} starts with '-' and would read as an option"
            )


def checked_values(names: Iterable[str], target: Target) -> dict[str, str]:
    """The placeholders' values for a selection, after `check_values` for `names`."""
    values = values_of(target)
    check_values(names, values)
    return values


def substitute(template: str, values: Mapping[str, str], quote: Callable[[str], str] = str) -> str:
    """`template` with each placeholder replaced by `quote(value)`; `check_values` first."""
    return PLACEHOLDER.sub(lambda m: quote(values[m.group(1)]), template)


__all__ = ["NAMES", "PLACEHOLDER", "check_values", "checked_values", "substitute", "used", "values_of"]

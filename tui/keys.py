"""`[keys]`: remap any binding by its id (Textual's keymap). Checked before the app starts: an
unknown id or two bindings on one key is a config error that names both."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations

from textual.binding import Binding

from tui.core.errors import UserError
from tui.core.keynames import normalise


@dataclass(frozen=True, slots=True)
class BindingInfo:
    id: str
    keys: tuple[str, ...]
    scope: str  # "app", the widget class whose focus makes it active, or "modal:<Screen>"


def binding_infos(scope: str, bindings: Iterable[Binding | tuple[str, ...]]) -> list[BindingInfo]:
    out = []
    for binding in bindings:
        if isinstance(binding, Binding) and binding.id:
            out.append(BindingInfo(binding.id, tuple(normalise(k) for k in binding.key.split(",")), scope))
    return out


def check_keymap(
    keymap: Mapping[str, str], infos: Iterable[BindingInfo], where: str, *, strict: bool = False
) -> None:
    """Raise UserError for an unknown binding id, an empty key, or a key two bindings would share
    in one scope (an app-wide binding counts in every scope). `strict` also checks the defaults
    among themselves (the test of the built-in bindings)."""
    infos = list(infos)
    known = {info.id: info for info in infos}
    for binding_id, keys in keymap.items():
        if binding_id not in known:
            raise UserError(f"{where}: keys.{binding_id}: unknown binding id (see ? for the ids)")
        if not isinstance(keys, str) or not keys.strip():
            raise UserError(
                f'{where}: keys.{binding_id}: expected a key such as "ctrl+r" or "f5", got {keys!r}'
            )
    effective = [
        BindingInfo(
            info.id,
            tuple(normalise(k) for k in keymap[info.id].split(",")) if info.id in keymap else info.keys,
            info.scope,
        )
        for info in infos
    ]
    for a, b in combinations(effective, 2):
        if a.scope != b.scope and (
            "app" not in (a.scope, b.scope) or any(s.startswith("modal:") for s in (a.scope, b.scope))
        ):
            # Two panels' own keys never meet (only one panel has the focus), and a dialog's
            # keys shadow the app's while it is open.
            continue
        shared = sorted(set(a.keys) & set(b.keys))
        if shared and (strict or a.id in keymap or b.id in keymap):
            raise UserError(
                f"{where}: keys: {shared[0]!r} is bound to both {a.id} and {b.id}; remap one of them"
            )

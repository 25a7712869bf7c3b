"""Authentication by bearer token and authorisation by rules, with the real server's answers:
401 `Unauthorized` for a missing or unknown token, 403 with the RBAC authorizer's message, e.g.
`deployments.apps is forbidden: User "viewer" cannot list resource "deployments" in API group
"apps" in the namespace "payments"` (or `... at the cluster scope`, or `pods "web-1" is
forbidden: ...` when the request names an object).

Until the first `grant`, every request is allowed (most tests need no RBAC). After it, only
granted tokens pass; the default token of tests/servers/kube.py stays an admin unless granted
otherwise, so a test restricts one user without locking out its own fixture client.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

from tests.servers.apiserver.resources import Resource
from tests.servers.apiserver.store import ApiError
from tests.servers.kube import TOKEN

ALL = ("*",)


@dataclass(frozen=True, slots=True)
class Rule:
    verbs: tuple[str, ...] = ALL  # get, list, watch, create, update, patch, delete, deletecollection
    resources: tuple[str, ...] = ALL  # "pods", "deployments", "deployments/scale", "pods/log"
    namespaces: tuple[str, ...] = ALL  # "*": every namespace and the cluster scope

    def allows(self, verb: str, resource: str, namespace: str) -> bool:
        if self.verbs != ALL and verb not in self.verbs:
            return False
        if self.resources != ALL and resource not in self.resources:
            return False
        if self.namespaces != ALL and (not namespace or namespace not in self.namespaces):
            return False
        return True


VIEW = ("get", "list", "watch")


def rule(
    verbs: Iterable[str] | str = ALL,
    resources: Iterable[str] | str = ALL,
    namespaces: Iterable[str] | str = ALL,
) -> Rule:
    def as_tuple(value: Iterable[str] | str) -> tuple[str, ...]:
        return (value,) if isinstance(value, str) else tuple(value)

    return Rule(as_tuple(verbs), as_tuple(resources), as_tuple(namespaces))


ADMIN = (Rule(),)


class Rbac:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.enforced = False
        self._users: dict[str, tuple[str, tuple[Rule, ...]]] = {TOKEN: ("admin", ADMIN)}

    def grant(self, token: str, user: str, *rules: Rule) -> None:
        """`token` authenticates as `user`, allowed what any of `rules` allows (no rule: nothing)."""
        with self._lock:
            self._users[token] = (user, tuple(rules))
            self.enforced = True

    def revoke(self, token: str) -> None:
        with self._lock:
            self._users.pop(token, None)

    def reset(self) -> None:
        with self._lock:
            self.enforced = False
            self._users = {TOKEN: ("admin", ADMIN)}

    def user(self, authorization: str | None) -> tuple[str, tuple[Rule, ...]]:
        """Who the request is: 401 when RBAC is enforced and the token is unknown."""
        token = ""
        if authorization and authorization.lower().startswith("bearer "):
            token = authorization[7:].strip()
        with self._lock:
            if not self.enforced:
                return self._users.get(token, ("admin", ADMIN))
            found = self._users.get(token)
        if found is None:
            raise ApiError(401, "Unauthorized", "Unauthorized")
        return found

    def check(
        self,
        authorization: str | None,
        verb: str,
        res: Resource,
        subresource: str,
        namespace: str,
        name: str,
    ) -> None:
        user, rules = self.user(authorization)
        resource = f"{res.plural}/{subresource}" if subresource else res.plural
        if any(r.allows(verb, resource, namespace) for r in rules):
            return
        why = f'User "{user}" cannot {verb} resource "{resource}" in API group "{res.group}"'
        why += f' in the namespace "{namespace}"' if namespace else " at the cluster scope"
        subject = f'{res.qualified} "{name}"' if name else res.qualified
        details: dict[str, object] = {"kind": res.plural}
        if name:
            details["name"] = name
        if res.group:
            details["group"] = res.group
        raise ApiError(403, "Forbidden", f"{subject} is forbidden: {why}", details)  # type: ignore[arg-type]

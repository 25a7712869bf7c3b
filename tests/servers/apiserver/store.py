"""The object store: objects by (resource, namespace, name), one global monotonic
resourceVersion (what etcd's revision is to a real server), and the history of changes a watch
resumes from.

Every object is kept as the dict (read by selectors, the controller and the printers, never
changed in place: a write stores a new dict) and as JSON bytes, twice: whole (GET, watch events)
and as a list item without kind and apiVersion (kube-apiserver leaves them out of a LIST's
items), so a LIST body is the cached bytes joined, not 10,000 objects encoded again. Every
method takes the store's lock; a write notifies the condition watches and the controller wait on.

The history keeps the last `history_limit` changes (a real watch cache keeps a window too);
`compact()` drops it on demand. A watch that asks for a resourceVersion older than the window
gets 410 Expired, as from a real server.
"""

from __future__ import annotations

import bisect
import json
import secrets
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tests.servers.apiserver.resources import BY_PLURAL, Resource, apply_defaults


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ApiError(Exception):
    """An answer the server gives as a Status object."""

    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details

    def status(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details is not None:
            doc["details"] = self.details
        return doc


def _details(res: Resource, name: str) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name, "kind": res.plural}
    if res.group:
        details["group"] = res.group
    return details


def not_found(res: Resource, name: str) -> ApiError:
    return ApiError(404, "NotFound", f'{res.qualified} "{name}" not found', _details(res, name))


def already_exists(res: Resource, name: str) -> ApiError:
    return ApiError(409, "AlreadyExists", f'{res.qualified} "{name}" already exists', _details(res, name))


def conflict(res: Resource, name: str) -> ApiError:
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {res.qualified} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again",
        _details(res, name),
    )


def expired(requested: int, floor: int) -> ApiError:
    return ApiError(410, "Expired", f"too old resource version: {requested} ({floor})")


@dataclass(frozen=True, slots=True)
class Stored:
    obj: dict[str, Any]
    raw: bytes  # the object as GET and watch events send it
    item: bytes  # as a LIST's item: without kind and apiVersion, as kube-apiserver sends items


@dataclass(frozen=True, slots=True)
class Change:
    rv: int
    type: str  # ADDED | MODIFIED | DELETED
    resource: str  # the plural: unique across the groups served
    namespace: str
    obj: dict[str, Any]
    raw: bytes
    old: dict[str, Any] | None  # the object before a MODIFIED (a selector may stop matching)


Key = tuple[str, str]  # (namespace, name); namespace "" for cluster-scoped objects


class Store:
    def __init__(self, first_rv: int = 0, history_limit: int = 200_000):
        self.cond = threading.Condition(threading.RLock())
        self.rv = first_rv
        self.floor = first_rv  # a watch may resume from any resourceVersion >= floor
        self.history_limit = history_limit
        self.objects: dict[str, dict[Key, Stored]] = {plural: {} for plural in BY_PLURAL}
        self._history: list[Change] = []
        self._history_rvs: list[int] = []
        self._sorted: dict[str, list[Key] | None] = {plural: None for plural in BY_PLURAL}

    # -- reading -------------------------------------------------------------------------------

    def get(self, resource: str, namespace: str, name: str) -> dict[str, Any] | None:
        """A copy of the object (None when absent): the caller may change it."""
        with self.cond:
            stored = self.objects[resource].get((namespace, name))
            return None if stored is None else json.loads(stored.raw)

    def stored(self, resource: str, namespace: str, name: str) -> Stored | None:
        with self.cond:
            return self.objects[resource].get((namespace, name))

    def items(self, resource: str, namespace: str | None = None) -> list[Stored]:
        """The objects in key order (namespace, name), as etcd lists them."""
        with self.cond:
            table = self.objects[resource]
            keys = self._sorted[resource]
            if keys is None:
                keys = self._sorted[resource] = sorted(table)
            if namespace is None:
                return [table[k] for k in keys]
            lo = bisect.bisect_left(keys, (namespace, ""))
            hi = bisect.bisect_left(keys, (namespace + "\x00", ""))
            return [table[k] for k in keys[lo:hi]]

    def keys_after(self, resource: str, namespace: str | None, after: Key) -> list[Stored]:
        """The objects after key `after` (a continue token's position)."""
        with self.cond:
            self.items(resource)  # builds the sorted keys
            keys = self._sorted[resource] or []
            start = bisect.bisect_right(keys, after)
            table = self.objects[resource]
            chosen = [table[k] for k in keys[start:] if namespace is None or k[0] == namespace]
            return chosen

    def changes_after(self, rv: int) -> list[Change]:
        """The changes with a resourceVersion above `rv`; 410 Expired when some are no longer
        kept."""
        with self.cond:
            if rv < self.floor:
                raise expired(rv, self.floor)
            start = bisect.bisect_right(self._history_rvs, rv)
            return self._history[start:]

    # -- writing -------------------------------------------------------------------------------

    def _next_rv(self) -> int:
        self.rv += 1
        return self.rv

    def _put(
        self, res: Resource, key: Key, obj: dict[str, Any], kind: str, old: dict[str, Any] | None
    ) -> Stored:
        rv = self._next_rv()
        obj["metadata"]["resourceVersion"] = str(rv)
        body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
        item = json.dumps(body, separators=(",", ":")).encode()
        head = json.dumps({"apiVersion": res.api_version, "kind": res.kind}, separators=(",", ":")).encode()
        raw = head[:-1] + b"," + item[1:] if body else head
        stored = Stored(obj, raw, item)
        table = self.objects[res.plural]
        if kind == "DELETED":
            table.pop(key, None)
            self._sorted[res.plural] = None
        else:
            if key not in table:
                self._sorted[res.plural] = None
            table[key] = stored
        self._history.append(Change(rv, kind, res.plural, key[0], obj, raw, old))
        self._history_rvs.append(rv)
        if len(self._history) > self.history_limit:
            self.compact(keep=self.history_limit // 2)
        self.cond.notify_all()
        return stored

    def create(self, resource: str, obj: Mapping[str, Any], namespace: str | None = None) -> Stored:
        """Store a new object as a real server would: namespace from the URL, uid,
        creationTimestamp (kept when given: the test builders set ages), generation 1,
        generateName expanded. 409 AlreadyExists when the name is taken."""
        res = BY_PLURAL[resource]
        new = json.loads(dumps(obj))
        meta = new.setdefault("metadata", {})
        if res.namespaced:
            meta["namespace"] = namespace or meta.get("namespace") or "default"
        else:
            meta.pop("namespace", None)
        if not meta.get("name"):
            prefix = meta.get("generateName")
            if not prefix:
                raise ApiError(
                    422,
                    "Invalid",
                    f'{res.kind} "" is invalid: metadata.name: Required value: '
                    "name or generateName is required",
                )
            meta["name"] = prefix + "".join(secrets.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))
        new["apiVersion"], new["kind"] = res.api_version, res.kind
        apply_defaults(resource, new)
        key = (meta.get("namespace", ""), meta["name"])
        with self.cond:
            if key in self.objects[resource]:
                raise already_exists(res, meta["name"])
            meta.setdefault("uid", str(uuid.uuid4()))
            meta.setdefault("creationTimestamp", now_iso())
            if res.has_generation:
                meta["generation"] = 1
            else:
                meta.pop("generation", None)
            if resource == "namespaces":
                new.setdefault("spec", {"finalizers": ["kubernetes"]})
                new.setdefault("status", {"phase": "Active"})
            return self._put(res, key, new, "ADDED", None)

    def replace(
        self,
        resource: str,
        obj: Mapping[str, Any],
        *,
        namespace: str | None = None,
        expect_rv: str | None = None,
    ) -> Stored:
        """Replace an object (PUT): uid, creationTimestamp kept; generation bumped when the
        spec changed; 409 Conflict when `expect_rv` is given and is not the stored one."""
        res = BY_PLURAL[resource]
        new = json.loads(dumps(obj))
        meta = new.setdefault("metadata", {})
        ns = (namespace or meta.get("namespace") or "default") if res.namespaced else ""
        if res.namespaced:
            meta["namespace"] = ns
        key = (ns, meta.get("name", ""))
        with self.cond:
            current = self.objects[resource].get(key)
            if current is None:
                raise not_found(res, key[1])
            old = current.obj
            if expect_rv and expect_rv != old["metadata"]["resourceVersion"]:
                raise conflict(res, key[1])
            new["apiVersion"], new["kind"] = res.api_version, res.kind
            apply_defaults(resource, new)
            old_meta = old["metadata"]
            meta["uid"] = old_meta["uid"]
            meta["creationTimestamp"] = old_meta["creationTimestamp"]
            if res.has_generation:
                generation = old_meta.get("generation", 1)
                meta["generation"] = generation + 1 if new.get("spec") != old.get("spec") else generation
            meta["resourceVersion"] = old_meta["resourceVersion"]
            if new == old:  # a no-op write keeps its resourceVersion and makes no event
                return current
            return self._put(res, key, new, "MODIFIED", old)

    def mutate(
        self, resource: str, namespace: str, name: str, change: Callable[[dict[str, Any]], Any]
    ) -> Stored:
        """Change an object atomically: `change` gets a copy and edits it in place."""
        res = BY_PLURAL[resource]
        ns = namespace if res.namespaced else ""
        with self.cond:
            current = self.objects[resource].get((ns, name))
            if current is None:
                raise not_found(res, name)
            copy = json.loads(current.raw)
            change(copy)
            return self.replace(resource, copy, namespace=ns or None)

    def delete(self, resource: str, namespace: str, name: str) -> Stored:
        res = BY_PLURAL[resource]
        key = (namespace if res.namespaced else "", name)
        with self.cond:
            current = self.objects[resource].get(key)
            if current is None:
                raise not_found(res, name)
            gone = json.loads(current.raw)
            return self._put(res, key, gone, "DELETED", current.obj)

    def compact(self, keep: int = 0) -> None:
        """Forget all but the last `keep` changes: a watch from before them gets 410 Expired."""
        with self.cond:
            drop = max(0, len(self._history) - keep)
            del self._history[:drop]
            del self._history_rvs[:drop]
            self.floor = self._history[0].rv - 1 if self._history else self.rv

    def seed(self, objects: Iterable[Mapping[str, Any]]) -> None:
        """Create many objects (resource from each object's kind), namespaces included."""
        from tests.servers.apiserver.resources import BY_KIND

        with self.cond:
            for obj in objects:
                res = BY_KIND[obj["kind"]]
                ns = (obj.get("metadata") or {}).get("namespace")
                if res.namespaced:
                    self.ensure_namespace(ns or "default")
                self.create(res.plural, obj, ns)

    def ensure_namespace(self, name: str) -> None:
        with self.cond:
            if ("", name) not in self.objects["namespaces"]:
                self.create("namespaces", {"metadata": {"name": name}})

"""The three PATCH bodies kubectl and the Python client send:

- `application/merge-patch+json` (RFC 7386: `kubectl scale` on the scale subresource),
- `application/strategic-merge-patch+json` (`kubectl rollout restart`, `kubectl set image`, the
  StatefulSet undo, which sends a ControllerRevision's data with `"$patch": "replace"`): lists of
  objects merge by their key as in the Kubernetes types' `patchMergeKey` (containers and volumes
  by name, env by name, ports by containerPort, conditions by type, ...), other lists are
  replaced; the directives `$patch` (replace, delete, merge), `$retainKeys`,
  `$deleteFromPrimitiveList/<field>` and `$setElementOrder/<field>` (ignored) are honoured,
- `application/json-patch+json` (RFC 6902: `kubectl rollout undo deployment`), by `jsonpatch`.
"""

from __future__ import annotations

import copy
from typing import Any

from tests.servers.apiserver.store import ApiError

MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "ports": "containerPort",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "volumes": "name",
    "imagePullSecrets": "name",
    "conditions": "type",
    "ownerReferences": "uid",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name",
}
MERGED_PRIMITIVE_LISTS = {"finalizers"}


def merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    directive = patch.get("$patch")
    if directive == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if directive == "delete":
        return None
    result = dict(target) if isinstance(target, dict) else {}
    retain = patch.get("$retainKeys")
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys") or key.startswith("$setElementOrder/"):
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            result[field] = [v for v in result.get(field) or [] if v not in value]
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, list):
            result[key] = _merge_list(key, result.get(key), value)
        elif isinstance(value, dict):
            merged = strategic_merge_patch(result.get(key), value)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        else:
            result[key] = value
    if retain is not None:
        result = {k: v for k, v in result.items() if k in retain}
    return result


def _merge_list(field: str, current: Any, patch: list[Any]) -> list[Any]:
    if any(isinstance(e, dict) and e.get("$patch") == "replace" for e in patch):
        return [copy.deepcopy(e) for e in patch if not (isinstance(e, dict) and e.get("$patch") == "replace")]
    key = MERGE_KEYS.get(field)
    if field in MERGED_PRIMITIVE_LISTS:
        merged = list(current or [])
        return merged + [v for v in patch if v not in merged]
    if key is None or not all(isinstance(e, dict) for e in patch):
        return copy.deepcopy(patch)
    merged = [copy.deepcopy(e) for e in current or []]
    for element in patch:
        if element.get("$patch") == "delete":
            merged = [e for e in merged if e.get(key) != element.get(key)]
            continue
        for i, existing in enumerate(merged):
            if isinstance(existing, dict) and existing.get(key) == element.get(key):
                merged[i] = strategic_merge_patch(existing, element)
                break
        else:
            merged.append(strategic_merge_patch({}, element))
    return merged


def json_patch(target: Any, operations: Any) -> Any:
    import jsonpatch  # a kmock dependency, so installed with the test extras

    try:
        return jsonpatch.apply_patch(target, operations)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as err:
        raise ApiError(
            422, "Invalid", f"the server rejected our request due to an error in our request: {err}"
        ) from err


def apply(content_type: str, target: Any, patch: Any) -> Any:
    kind = content_type.split(";")[0].strip()
    if kind == "application/merge-patch+json":
        return merge_patch(target, patch)
    if kind == "application/strategic-merge-patch+json":
        result = strategic_merge_patch(target, patch)
        return result if result is not None else {}
    if kind == "application/json-patch+json":
        return json_patch(target, patch)
    raise ApiError(
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, "
        f"application/strategic-merge-patch+json ({kind})",
    )

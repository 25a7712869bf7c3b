"""The resources the test API server serves, and the discovery documents kubectl reads them from
(`/api`, `/api/v1`, `/apis`, `/apis/apps/v1`, `/version`).

kubectl 1.32 asks for aggregated discovery first (`Accept: ...;g=apidiscovery.k8s.io;v=v2`) and
falls back to the legacy documents when the answer is plain `application/json`: only the legacy
ones are served. None of the commands the tests run needs `/openapi/v2` or `/openapi/v3`
(checked with `kubectl -v=6`: they are not requested), so those answer 404 as on a server
without them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.4",
    "gitCommit": "59526cd4867447956156ae3a602fcbac10a2c335",
    "gitTreeState": "clean",
    "buildDate": "2025-04-22T16:00:00Z",
    "goVersion": "go1.23.6",
    "compiler": "gc",
    "platform": "linux/amd64",
}


@dataclass(frozen=True, slots=True)
class Resource:
    plural: str
    singular: str
    kind: str
    group: str  # "" for the core group
    version: str
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    # Fields a fieldSelector may name beyond metadata.name and metadata.namespace.
    fields: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """How error messages name it: `pods`, `deployments.apps`."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def has_generation(self) -> bool:
        # Kubernetes 1.32 sets metadata.generation on workloads (and namespaces, events never);
        # pods have none before 1.33's PodObservedGenerationTracking.
        return self.group == "apps"


POD_FIELDS = (
    "status.phase",
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "status.podIP",
    "status.nominatedNodeName",
)
EVENT_FIELDS = (
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
)

RESOURCES: tuple[Resource, ...] = (
    Resource(
        "pods",
        "pod",
        "Pod",
        "",
        "v1",
        short_names=("po",),
        subresources=("log", "status"),
        categories=("all",),
        fields=POD_FIELDS,
    ),
    Resource("events", "event", "Event", "", "v1", short_names=("ev",), fields=EVENT_FIELDS),
    Resource(
        "namespaces",
        "namespace",
        "Namespace",
        "",
        "v1",
        namespaced=False,
        short_names=("ns",),
        fields=("status.phase",),
    ),
    Resource(
        "deployments",
        "deployment",
        "Deployment",
        "apps",
        "v1",
        short_names=("deploy",),
        subresources=("scale", "status"),
        categories=("all",),
    ),
    Resource(
        "statefulsets",
        "statefulset",
        "StatefulSet",
        "apps",
        "v1",
        short_names=("sts",),
        subresources=("scale", "status"),
        categories=("all",),
    ),
    Resource(
        "replicasets",
        "replicaset",
        "ReplicaSet",
        "apps",
        "v1",
        short_names=("rs",),
        subresources=("scale", "status"),
        categories=("all",),
    ),
    Resource("controllerrevisions", "controllerrevision", "ControllerRevision", "apps", "v1"),
)

BY_PATH: dict[tuple[str, str, str], Resource] = {(r.group, r.version, r.plural): r for r in RESOURCES}
BY_KIND: dict[str, Resource] = {r.kind: r for r in RESOURCES}
BY_PLURAL: dict[str, Resource] = {r.plural: r for r in RESOURCES}


def find(group: str, version: str, plural: str) -> Resource | None:
    return BY_PATH.get((group, version, plural))


def api_versions(address: str) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": address}],
    }


def _group_versions() -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    for r in RESOURCES:
        if r.group and (r.group, r.version) not in seen:
            seen.append((r.group, r.version))
    return seen


def api_group_list() -> dict[str, Any]:
    groups = []
    for group, version in _group_versions():
        gv = {"groupVersion": f"{group}/{version}", "version": version}
        groups.append({"name": group, "versions": [gv], "preferredVersion": gv})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(group: str) -> dict[str, Any] | None:
    for g in api_group_list()["groups"]:
        if g["name"] == group:
            return {"kind": "APIGroup", "apiVersion": "v1", **g}
    return None


def resource_list(group: str, version: str) -> dict[str, Any] | None:
    found = [r for r in RESOURCES if (r.group, r.version) == (group, version)]
    if not found:
        return None
    entries: list[dict[str, Any]] = []
    for r in found:
        entry: dict[str, Any] = {
            "name": r.plural,
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": VERBS,
        }
        if r.short_names:
            entry["shortNames"] = list(r.short_names)
        if r.categories:
            entry["categories"] = list(r.categories)
        entries.append(entry)
        for sub in r.subresources:
            if sub == "scale":
                # kubectl scale's client reads the Scale kind's group and version from here.
                entries.append(
                    {
                        "name": f"{r.plural}/scale",
                        "singularName": "",
                        "namespaced": r.namespaced,
                        "group": "autoscaling",
                        "version": "v1",
                        "kind": "Scale",
                        "verbs": ["get", "patch", "update"],
                    }
                )
            elif sub == "status":
                entries.append(
                    {
                        "name": f"{r.plural}/status",
                        "singularName": "",
                        "namespaced": r.namespaced,
                        "kind": r.kind,
                        "verbs": ["get", "patch", "update"],
                    }
                )
            elif sub == "log":
                entries.append(
                    {
                        "name": f"{r.plural}/log",
                        "singularName": "",
                        "namespaced": True,
                        "kind": "Pod",
                        "verbs": ["get"],
                    }
                )
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": entries,
    }


def apply_defaults(plural: str, obj: dict[str, Any]) -> None:
    """The API server's defaulting of what kubectl's rollout commands read: a workload's
    replicas, strategy, revisionHistoryLimit, progressDeadlineSeconds (pod templates are left
    as given, so a template's hash is the one the test expects)."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    if plural == "deployments":
        spec.setdefault("replicas", 1)
        strategy = spec.setdefault("strategy", {})
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            rolling = strategy.setdefault("rollingUpdate", {})
            rolling.setdefault("maxUnavailable", "25%")
            rolling.setdefault("maxSurge", "25%")
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("progressDeadlineSeconds", 600)
    elif plural == "statefulsets":
        spec.setdefault("replicas", 1)
        strategy = spec.setdefault("updateStrategy", {})
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            strategy.setdefault("rollingUpdate", {}).setdefault("partition", 0)
        spec.setdefault("podManagementPolicy", "OrderedReady")
        spec.setdefault("revisionHistoryLimit", 10)
    elif plural == "replicasets":
        spec.setdefault("replicas", 1)

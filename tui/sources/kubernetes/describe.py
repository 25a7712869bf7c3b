"""What `kubectl describe pod` shows of one pod, from its JSON (one GET when it is asked for):
its containers' states, last states, exit codes, restarts and images, its conditions, node, IP
and owner. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tui.core.model import ContainerDetail, PodDescription
from tui.sources.kubernetes.status import parse_time, pod_ip, workload_conditions


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if type(value) is dict else {}


def _mappings(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if type(v) is dict] if type(value) is list else []


def _str(value: Any) -> str:
    return value if type(value) is str else ""


def _int(value: Any) -> int | None:
    return value if type(value) is int else None


def _state(state: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    for name in ("running", "waiting", "terminated"):
        found = state.get(name)
        if type(found) is dict:
            return name.capitalize(), found
    return "", {}


def container_detail(spec: Mapping[str, Any], status: Mapping[str, Any], *, init: bool) -> ContainerDetail:
    kind, state = _state(_mapping(status.get("state")))
    last_kind, last = _state(_mapping(status.get("lastState")))
    since = state.get("startedAt") if kind == "Running" else state.get("finishedAt")
    return ContainerDetail(
        name=_str(spec.get("name")) or _str(status.get("name")),
        image=_str(status.get("image")) or _str(spec.get("image")),
        state=kind,
        reason=_str(state.get("reason")),
        exit_code=_int(state.get("exitCode")),
        since=parse_time(since),
        message=_str(state.get("message")),
        last_state=last_kind,
        last_reason=_str(last.get("reason")),
        last_exit_code=_int(last.get("exitCode")),
        last_finished_at=parse_time(last.get("finishedAt")),
        restarts=_int(status.get("restartCount")) or 0,
        ready=status.get("ready") is True,
        init=init,
    )


def pod_description(pod: Mapping[str, Any]) -> PodDescription:
    meta, spec, status = _mapping(pod.get("metadata")), _mapping(pod.get("spec")), _mapping(pod.get("status"))
    containers: list[ContainerDetail] = []
    for key, statuses_key, init in (
        ("initContainers", "initContainerStatuses", True),
        ("containers", "containerStatuses", False),
    ):
        statuses = {_str(s.get("name")): s for s in _mappings(status.get(statuses_key))}
        for c in _mappings(spec.get(key)):
            containers.append(container_detail(c, statuses.get(_str(c.get("name")), {}), init=init))
    owners = _mappings(meta.get("ownerReferences"))
    owner = next((o for o in owners if o.get("controller") is True), owners[0] if owners else {})
    return PodDescription(
        namespace=_str(meta.get("namespace")),
        name=_str(meta.get("name")),
        containers=tuple(containers),
        conditions=workload_conditions(status),
        node=_str(spec.get("nodeName")),
        ip=pod_ip(pod),
        owner=f"{_str(owner.get('kind'))}/{_str(owner.get('name'))}" if owner else "",
        phase=_str(status.get("phase")),
        reason=_str(status.get("reason")),
        message=_str(status.get("message")),
        qos=_str(status.get("qosClass")),
        started_at=parse_time(status.get("startTime")),
    )

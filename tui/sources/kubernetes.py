"""Kubernetes: pods and deployments for the pods panel, the mitigations (`ClusterControl`), and
pod logs for the log tail.

The official client is synchronous, so every call runs in `asyncio.to_thread` and carries a
`_request_timeout` (its default is no timeout at all). Each object builds its own `ApiClient`
from the kubeconfig (`config.new_client_from_config`): the global `load_kube_config` is shared
process state and races when several contexts are in play. Responses are read as raw JSON
(`_preload_content=False`) rather than the client's pydantic models: the dicts are the API's
documented shape, a field the models do not know cannot fail a whole list, and parsing them is
plain code that the tests exercise directly.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException
from kubernetes.config.kube_config import KubeConfigMerger
from urllib3.exceptions import (
    ConnectTimeoutError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.util.retry import Retry

from tui.config import ClusterConfig, LogConfig
from tui.core.clock import Clock, SystemClock, utc_iso
from tui.core.model import ClusterSnapshot, DeploymentInfo, LogBatch, LogLine, PodInfo
from tui.core.untrusted import one_line
from tui.sources.base import SourceError
from tui.sources.logs import MAX_LINE_BYTES, guess_level
from tui.sources.probe import unreachable, url_endpoint
from tui.sources.tls import tls_line

IN_CLUSTER = "in-cluster"
_SA_NAMESPACE_FILE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
REVISION = "deployment.kubernetes.io/revision"
# Annotations `kubectl rollout undo` keeps from the deployment instead of copying them from the
# ReplicaSet it rolls back to (kubectl's annotationsToSkip).
_UNDO_SKIP_ANNOTATIONS = frozenset(
    {
        "kubectl.kubernetes.io/last-applied-configuration",
        REVISION,
        "deployment.kubernetes.io/revision-history",
        "deployment.kubernetes.io/desired-replicas",
        "deployment.kubernetes.io/max-replicas",
        "deprecated.deployment.rollback.to",
    }
)
_TEMPLATE_HASH_LABEL = "pod-template-hash"
# The alphabet Kubernetes encodes pod-template hashes with (no vowels, no 0/1/3): used to strip
# a hash suffix from a ReplicaSet name when the pod lacks the pod-template-hash label.
_HASH_SUFFIX = re.compile(r"[bcdfghjklmnpqrstvwxz2456789]{5,10}")


# ---- connection -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Connection:
    api: client.ApiClient
    context: str  # the kubeconfig context name, or "in-cluster"
    namespace: str  # the context's namespace ("default" when it names none)
    host: str  # host:port of the API server, for messages


def kubeconfig_paths(cfg: ClusterConfig) -> str:
    """The kubeconfig to read: the configured path, else $KUBECONFIG (read now, not at import
    time as the client library does), else ~/.kube/config. Several paths keep their separator."""
    raw = cfg.kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config"
    return os.pathsep.join(os.path.expanduser(p) for p in raw.split(os.pathsep) if p)


def _client_configuration() -> client.Configuration:
    conf = client.Configuration()
    # One quick retry for a connection that could not be made; none for reads, so a server that
    # hangs costs one `_request_timeout`, not four (urllib3's default retries three times).
    conf.retries = Retry(total=1, connect=1, read=0, status=0, redirect=0, backoff_factor=0)
    return conf


def connect(cfg: ClusterConfig) -> Connection:
    """Build a client for the configured context (blocking: reads files, may run an exec
    credential plugin). Raises SourceError with one line."""
    try:
        if cfg.kubeconfig == IN_CLUSTER:
            conf = _client_configuration()
            config.load_incluster_config(client_configuration=conf)
            try:
                namespace = _SA_NAMESPACE_FILE.read_text().strip() or "default"
            except OSError:
                namespace = "default"
            return Connection(client.ApiClient(conf), IN_CLUSTER, namespace, _hostport(conf.host))
        paths = kubeconfig_paths(cfg)
        existing = [p for p in paths.split(os.pathsep) if Path(p).is_file()]
        if not existing:
            raise SourceError(f"kubeconfig not found: {one_line(paths)}")
        # Read the (merged) file ourselves: `list_kube_config_contexts` fails on a kubeconfig
        # without a current-context even when the context to use is configured, as kubectl's
        # --context allows.
        merged = KubeConfigMerger(paths).config
        doc = merged.value if merged is not None else None
        if not isinstance(doc, dict):
            raise SourceError(f"kubeconfig {one_line(paths)}: not a kubeconfig (no mapping at the top)")
        items = [getattr(c, "value", c) for c in doc.get("contexts") or []]  # ConfigNode-wrapped
        contexts = [c for c in items if isinstance(c, dict)]
        wanted = cfg.context or doc.get("current-context")
        if not wanted:
            raise SourceError(f"kubeconfig {one_line(paths)}: no current-context, and none configured")
        chosen = next((c for c in contexts if c.get("name") == wanted), None)
        if chosen is None:
            names = ", ".join(sorted(str(c.get("name")) for c in contexts)) or "none"
            raise SourceError(
                f"kubeconfig {one_line(paths)}: no context named {one_line(wanted)!r} "
                f"(have: {one_line(names)})"
            )
        context = chosen.get("context")
        namespace = (context.get("namespace") if isinstance(context, dict) else None) or "default"
        conf = _client_configuration()
        api = config.new_client_from_config(
            config_file=paths, context=wanted, persist_config=False, client_configuration=conf
        )
        return Connection(api, str(wanted), str(namespace), _hostport(conf.host))
    except SourceError:
        raise
    except ConfigException as err:
        where = "in-cluster config" if cfg.kubeconfig == IN_CLUSTER else "kubeconfig"
        raise SourceError(f"{where}: {one_line(str(err), 160)}") from err
    except Exception as err:  # broken YAML, unreadable file, failing exec plugin …
        raise SourceError(f"kubeconfig: {type(err).__name__}: {one_line(str(err), 160)}") from err


def resolve_context(cfg: ClusterConfig) -> str:
    """The context a connection for `cfg` will use, read from the kubeconfig without connecting:
    the configured one, else the kubeconfig's current-context ("in-cluster" in a pod). "" when the
    kubeconfig cannot be read now; the first call then says why, as every other call does."""
    if cfg.kubeconfig == IN_CLUSTER:
        return IN_CLUSTER
    if cfg.context:
        return cfg.context
    try:
        paths = kubeconfig_paths(cfg)
        if not any(Path(p).is_file() for p in paths.split(os.pathsep)):
            return ""
        merged = KubeConfigMerger(paths).config
        doc = merged.value if merged is not None else None
        current = doc.get("current-context") if isinstance(doc, dict) else None
    except Exception:  # broken YAML, unreadable file: the first call reports it in one line
        return ""
    return str(current) if isinstance(current, str) and current else ""


def _hostport(url: str | None) -> str:
    parts = urlsplit(url or "")
    return parts.netloc or (url or "?")


def describe_error(err: BaseException, host: str, timeout_s: float) -> str:
    """One line a person can act on, for any failure of a client call."""
    if isinstance(err, SourceError):
        return str(err)
    if isinstance(err, ApiException):
        return _describe_api_exception(err)
    tls = tls_line(err, f"https://{host}")  # before anything else: urllib3 hides it in `reason`
    if tls:
        return tls
    chain = list(_causes(err))
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or any(
        isinstance(e, NewConnectionError) and "refused" in str(e).lower() for e in chain
    ):
        return f"connection refused ({host})"
    if any(isinstance(e, ReadTimeoutError | TimeoutError) for e in chain):
        return f"no answer from {host} in {timeout_s:g} s"
    # NewConnectionError is a subclass of ConnectTimeoutError in urllib3 2, so it goes first.
    if any(isinstance(e, NewConnectionError) for e in chain):
        return f"cannot connect to {host}: {one_line(str(chain[-1]), 120)}"
    if any(isinstance(e, ConnectTimeoutError) for e in chain):
        return f"could not connect to {host} in {timeout_s:g} s"
    if any(isinstance(e, ProtocolError) for e in chain):
        return f"connection to {host} broken: {one_line(str(chain[-1]), 120)}"
    if isinstance(err, json.JSONDecodeError | UnicodeDecodeError):
        return f"{host} did not answer with Kubernetes JSON"
    return f"{type(err).__name__}: {one_line(str(err), 160)}"


def _causes(err: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException] = [err]
    while todo:
        e = todo.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        for nxt in (getattr(e, "reason", None), e.__cause__, e.__context__):
            if isinstance(nxt, BaseException):
                todo.append(nxt)


def _describe_api_exception(err: ApiException) -> str:
    status = err.status or 0
    message = ""
    if err.body:
        try:
            body = json.loads(err.body)
            message = str(body.get("message") or "") if isinstance(body, dict) else ""
        except (ValueError, TypeError):
            message = str(err.body)
    if status == 0:
        return one_line(f"{err.reason or 'request failed'}", 200)
    if status == 401:
        return "401 Unauthorized: the API server rejected the kubeconfig's credentials"
    reason = err.reason or ""
    text = f"{status} {reason}".strip()
    return one_line(f"{text}: {message}" if message else text, 200)


def _json(response: Any) -> Any:
    """The body of a `_preload_content=False` response as JSON; the connection goes back to the pool."""
    try:
        return json.loads(response.data)
    finally:
        response.release_conn()


class _Cluster:
    """A lazily built connection, shared by the calls of one object, rebuilt after a failure (a
    rotated token or a fixed kubeconfig is picked up on the next cycle)."""

    def __init__(self, cfg: ClusterConfig) -> None:
        self.cfg = cfg
        self._conn: Connection | None = None

    def get(self) -> Connection:
        if self._conn is None:
            self._conn = connect(self.cfg)
        return self._conn

    async def probe(self) -> None:
        """The loop's cheap try while failing: one TCP connect to the API server (the kubeconfig
        is read first, so a broken one is still the message)."""
        conn = await asyncio.to_thread(self.call, lambda c: c)
        endpoint = url_endpoint(conn.api.configuration.host or "")
        if endpoint is not None and (why := await unreachable(*endpoint)):
            raise SourceError(f"{why} ({conn.host})")

    def drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.api.close()

    def namespaces(self) -> tuple[str, ...]:
        return self.cfg.namespaces or (self.get().namespace,)

    def call(self, fn: Callable[[Connection], Any]) -> Any:
        """Run `fn(connection)` (blocking), turning any failure into a one-line SourceError."""
        try:
            return fn(self.get())
        except SourceError:
            raise  # already one line: an unreadable kubeconfig, an answer without items, no history
        except Exception as err:
            host = self._conn.host if self._conn else "the API server"
            message = describe_error(err, host, self.cfg.timeout_s)
            if not isinstance(err, ApiException) or (err.status or 0) in (0, 401):
                self.drop()
            raise SourceError(message) from err


# ---- what `kubectl get pods` shows ------------------------------------------------------------


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp from the API ("2024-05-01T10:00:00Z", nanoseconds allowed)."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    match = re.match(r"^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$", text)
    if match:  # Python takes at most 6 fraction digits
        frac = (match.group(2) or "")[:7]
        text = f"{match.group(1)}{frac}{match.group(3)}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def pod_status(pod: Mapping[str, Any]) -> str:
    """The STATUS column of `kubectl get pods`, computed the way kubectl's printer does: the
    phase (or the pod's reason), overridden by init-container progress, then by the last
    container's waiting or terminated reason; "Terminating" once a deletion is under way."""
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    reason = str(status.get("reason") or status.get("phase") or "Unknown")

    initializing = False
    init_specs = spec.get("initContainers") or []
    restartable = {c.get("name") for c in init_specs if c.get("restartPolicy") == "Always"}
    for i, cs in enumerate(status.get("initContainerStatuses") or []):
        state = cs.get("state") or {}
        terminated = state.get("terminated")
        waiting = state.get("waiting")
        if terminated is not None and terminated.get("exitCode", 0) == 0:
            continue
        if cs.get("name") in restartable and cs.get("started"):
            continue  # a sidecar that is up does not hold the pod in Init
        if terminated is not None:
            if terminated.get("reason"):
                reason = f"Init:{terminated['reason']}"
            elif terminated.get("signal"):
                reason = f"Init:Signal:{terminated['signal']}"
            else:
                reason = f"Init:ExitCode:{terminated.get('exitCode', 0)}"
        elif waiting is not None and waiting.get("reason") and waiting.get("reason") != "PodInitializing":
            reason = f"Init:{waiting['reason']}"
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break

    if not initializing or _condition_true(status, "Initialized"):
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            state = cs.get("state") or {}
            waiting = state.get("waiting")
            terminated = state.get("terminated")
            if waiting is not None and waiting.get("reason"):
                reason = str(waiting["reason"])
            elif terminated is not None and terminated.get("reason"):
                reason = str(terminated["reason"])
            elif terminated is not None:
                if terminated.get("signal"):
                    reason = f"Signal:{terminated['signal']}"
                else:
                    reason = f"ExitCode:{terminated.get('exitCode', 0)}"
            elif cs.get("ready") and state.get("running") is not None:
                has_running = True
        if reason == "Completed" and has_running:
            reason = "Running" if _condition_true(status, "Ready") else "NotReady"

    if meta.get("deletionTimestamp"):
        reason = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    return reason


def _condition_true(status: Mapping[str, Any], kind: str) -> bool:
    return any(c.get("type") == kind and c.get("status") == "True" for c in status.get("conditions") or [])


def pod_workload(pod: Mapping[str, Any]) -> str | None:
    """The deployment (or statefulset / daemonset) a pod belongs to."""
    meta = pod.get("metadata") or {}
    labels = meta.get("labels") or {}
    for ref in meta.get("ownerReferences") or []:
        kind, name = ref.get("kind"), ref.get("name")
        if not name:
            continue
        if kind == "ReplicaSet":
            return replicaset_deployment(str(name), labels.get(_TEMPLATE_HASH_LABEL))
        if kind in ("StatefulSet", "DaemonSet", "Deployment", "Job"):
            return str(name)
    fallback = labels.get("app.kubernetes.io/name") or labels.get("app")
    return str(fallback) if fallback else None


def replicaset_deployment(rs_name: str, template_hash: str | None) -> str:
    """`api-gateway-7d4b9c8f6` → `api-gateway`: a ReplicaSet is named deployment-<hash>."""
    if template_hash and rs_name.endswith(f"-{template_hash}"):
        return rs_name[: -len(template_hash) - 1]
    base, sep, suffix = rs_name.rpartition("-")
    if sep and base and _HASH_SUFFIX.fullmatch(suffix):
        return base
    return rs_name


def pod_info(pod: Mapping[str, Any]) -> PodInfo:
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    ready = sum(
        1 for cs in statuses if cs.get("ready") and (cs.get("state") or {}).get("running") is not None
    )
    restarts = sum(int(cs.get("restartCount") or 0) for cs in statuses)
    containers = len(spec.get("containers") or []) or len(statuses)
    return PodInfo(
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name") or ""),
        workload=pod_workload(pod),
        status=pod_status(pod),
        ready=ready,
        containers=containers,
        restarts=restarts,
        created_at=parse_time(meta.get("creationTimestamp")),
        node=str(spec.get("nodeName") or ""),
    )


def deployment_info(dep: Mapping[str, Any]) -> DeploymentInfo:
    meta = dep.get("metadata") or {}
    spec = dep.get("spec") or {}
    status = dep.get("status") or {}
    revision = (meta.get("annotations") or {}).get(REVISION)
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    images = [str(c.get("image") or "") for c in containers]
    image = images[0] if images else ""
    if len(images) > 1:
        image = f"{image} +{len(images) - 1}"
    replicas = spec.get("replicas")
    return DeploymentInfo(
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name") or ""),
        replicas=1 if replicas is None else int(replicas),
        ready=int(status.get("readyReplicas") or 0),
        updated=int(status.get("updatedReplicas") or 0),
        available=int(status.get("availableReplicas") or 0),
        revision=int(revision) if isinstance(revision, str) and revision.isdigit() else None,
        image=image,
    )


# ---- the pods panel ---------------------------------------------------------------------------


class KubernetesSource:
    """Pods and deployments of the configured namespaces (default: the context's namespace)."""

    name = "kubernetes"

    def __init__(self, cfg: ClusterConfig) -> None:
        self.cfg = cfg
        self.interval_s = cfg.interval_s
        self._cluster = _Cluster(cfg)

    async def probe(self) -> None:
        await self._cluster.probe()

    async def poll(self) -> ClusterSnapshot:
        return await asyncio.to_thread(self._cluster.call, self._read)

    def _read(self, conn: Connection) -> ClusterSnapshot:
        core = client.CoreV1Api(conn.api)
        apps = client.AppsV1Api(conn.api)
        timeout = self.cfg.timeout_s
        pods: list[PodInfo] = []
        deployments: list[DeploymentInfo] = []
        for ns in dict.fromkeys(self.cfg.namespaces or (conn.namespace,)):  # each once
            pod_list = _json(core.list_namespaced_pod(ns, _preload_content=False, _request_timeout=timeout))
            pods.extend(pod_info(p) for p in _items(pod_list) if _in_namespace(p, ns))
            dep_list = _json(
                apps.list_namespaced_deployment(ns, _preload_content=False, _request_timeout=timeout)
            )
            deployments.extend(deployment_info(d) for d in _items(dep_list) if _in_namespace(d, ns))
        pods.sort(key=lambda p: (p.namespace, p.name))
        deployments.sort(key=lambda d: (d.namespace, d.name))
        return ClusterSnapshot(context=conn.context, pods=tuple(pods), deployments=tuple(deployments))

    async def close(self) -> None:
        await asyncio.to_thread(self._cluster.drop)


def _items(listing: Any) -> list[Mapping[str, Any]]:
    if not isinstance(listing, dict) or not isinstance(listing.get("items"), list):
        raise SourceError("the API server answered without an item list")
    return [i for i in listing["items"] if isinstance(i, dict)]


def _in_namespace(obj: Mapping[str, Any], ns: str) -> bool:
    found = (obj.get("metadata") or {}).get("namespace")
    return found in (None, "", ns)


# ---- the mitigations --------------------------------------------------------------------------


class KubernetesControl:
    """`ClusterControl` against a real API server; each call says what happened the way kubectl
    does (`deployment.apps/api-gateway restarted`)."""

    def __init__(self, cfg: ClusterConfig, clock: Clock | None = None) -> None:
        self.cfg = cfg
        self.clock = clock or SystemClock()
        # Named at build time, so the first confirmation already says which cluster it acts on,
        # and pinned: a `kubectl config use-context` in another terminal afterwards must not move
        # the calls to a cluster other than the one the confirmation named.
        self.context = resolve_context(cfg)
        pinned = cfg.kubeconfig != IN_CLUSTER and not cfg.context and self.context
        self._cluster = _Cluster(replace(cfg, context=self.context) if pinned else cfg)

    async def _run(self, fn: Callable[[Connection], str]) -> str:
        def call(conn: Connection) -> str:
            self.context = conn.context
            return fn(conn)

        return await asyncio.to_thread(self._cluster.call, call)

    def _patch(
        self,
        conn: Connection,
        namespace: str,
        deployment: str,
        body: Any,
        *,
        scale: bool = False,
        dry_run: bool = False,
    ) -> Any:
        """One PATCH of the deployment, or of its scale subresource; the object the server
        answered (with `dry_run`, what it would have stored: nothing is)."""
        apps = client.AppsV1Api(conn.api)
        patch = apps.patch_namespaced_deployment_scale if scale else apps.patch_namespaced_deployment
        return _json(
            patch(
                deployment,
                namespace,
                body,
                _preload_content=False,
                _request_timeout=self.cfg.timeout_s,
                **_dry(dry_run),
            )
        )

    async def rollout_restart(self, namespace: str, deployment: str, *, dry_run: bool = False) -> str:
        stamp = utc_iso(self.clock.now())
        body = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}

        def run(conn: Connection) -> str:
            answer = self._patch(conn, namespace, deployment, body, dry_run=dry_run)
            if not dry_run:
                return f"deployment.apps/{deployment} restarted"
            # The controller, not the API server, numbers the new ReplicaSet: one past the current.
            revision = _revision(answer) if isinstance(answer, dict) else None
            then = f" (revision {revision} → {revision + 1})" if revision is not None else ""
            return f"{DRY_RUN}deployment {namespace}/{deployment} would be restarted{then}"

        return await self._run(run)

    async def rollout_undo(self, namespace: str, deployment: str, *, dry_run: bool = False) -> str:
        return await self._run(lambda conn: self._undo(conn, namespace, deployment, dry_run=dry_run))

    def _undo(self, conn: Connection, namespace: str, deployment: str, *, dry_run: bool = False) -> str:
        """Roll back to the previous revision, as `kubectl rollout undo` does: of the ReplicaSets
        the deployment controls, leave out the one whose template is the deployment's current
        one, take the one with the highest revision, and replace the deployment's pod template
        (minus the pod-template-hash label) and annotations with its own. (Taking simply the
        second-highest revision would go back two steps when the controller has not yet made the
        ReplicaSet of a template that was just changed.)"""
        apps = client.AppsV1Api(conn.api)
        timeout = self.cfg.timeout_s
        dep = _json(
            apps.read_namespaced_deployment(
                deployment, namespace, _preload_content=False, _request_timeout=timeout
            )
        )
        if (dep.get("spec") or {}).get("paused"):
            raise SourceError(
                f'deployment "{deployment}" is paused: resume it before a rollback (kubectl rollout resume)'
            )
        listing = _json(
            apps.list_namespaced_replica_set(
                namespace,
                label_selector=_match_labels_selector(dep),
                _preload_content=False,
                _request_timeout=timeout,
            )
        )
        current = _without_hash((dep.get("spec") or {}).get("template") or {})
        older = [
            (rev, rs)
            for rs in _items(listing)
            if _controlled_by(rs, dep)
            and (rev := _revision(rs)) is not None
            and _without_hash((rs.get("spec") or {}).get("template") or {}) != current
        ]
        if not older:
            raise SourceError(f'no rollout history found for deployment "{deployment}"')
        back_to, previous = max(older, key=lambda pair: pair[0])
        template = _without_hash((previous.get("spec") or {}).get("template") or {})
        dep_annotations = (dep.get("metadata") or {}).get("annotations") or {}
        annotations = {k: v for k, v in dep_annotations.items() if k in _UNDO_SKIP_ANNOTATIONS}
        rs_annotations = (previous.get("metadata") or {}).get("annotations") or {}
        annotations.update({k: v for k, v in rs_annotations.items() if k not in _UNDO_SKIP_ANNOTATIONS})
        # JSON patch, like kubectl; "add" replaces an existing member and also works when the
        # deployment has no annotations map yet.
        patch = [
            {"op": "add", "path": "/spec/template", "value": template},
            {"op": "add", "path": "/metadata/annotations", "value": annotations},
        ]
        self._patch(conn, namespace, deployment, patch, dry_run=dry_run)
        if dry_run:
            images = [c.get("image") for c in (template.get("spec") or {}).get("containers") or []]
            shown = f" ({', '.join(str(i) for i in images if i)})" if any(images) else ""
            what = f"would be rolled back to revision {back_to}{shown}"
            return f"{DRY_RUN}deployment {namespace}/{deployment} {what}"
        return f"deployment.apps/{deployment} rolled back"

    async def scale(self, namespace: str, deployment: str, replicas: int, *, dry_run: bool = False) -> str:
        if replicas < 0:
            raise SourceError(f"replicas must be 0 or more, got {replicas}")

        def run(conn: Connection) -> str:
            body = {"spec": {"replicas": int(replicas)}}
            answer = self._patch(conn, namespace, deployment, body, scale=True, dry_run=dry_run)
            if not dry_run:
                return f"deployment.apps/{deployment} scaled"
            now = ((answer.get("status") or {}) if isinstance(answer, dict) else {}).get("replicas")
            was = f"from {now} " if isinstance(now, int) else ""
            return f"{DRY_RUN}deployment {namespace}/{deployment} would be scaled {was}to {replicas} replicas"

        return await self._run(run)

    async def delete_pod(self, namespace: str, pod: str, *, dry_run: bool = False) -> str:
        def run(conn: Connection) -> str:
            core = client.CoreV1Api(conn.api)
            _json(
                core.delete_namespaced_pod(
                    pod,
                    namespace,
                    _preload_content=False,
                    _request_timeout=self.cfg.timeout_s,
                    **_dry(dry_run),
                )
            )
            if dry_run:
                return f"{DRY_RUN}pod {namespace}/{pod} would be deleted"
            return f'pod "{pod}" deleted'

        return await self._run(run)

    async def close(self) -> None:
        await asyncio.to_thread(self._cluster.drop)


DRY_RUN = "server dry run: "


def _dry(dry_run: bool) -> dict[str, str]:
    """The client's keyword for a server-side dry run: the API server validates, admits and
    answers as for the real call, and stores nothing."""
    return {"dry_run": "All"} if dry_run else {}


def _match_labels_selector(dep: Mapping[str, Any]) -> str | None:
    labels = (((dep.get("spec") or {}).get("selector") or {}).get("matchLabels")) or {}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or None


def _controlled_by(rs: Mapping[str, Any], dep: Mapping[str, Any]) -> bool:
    """The ReplicaSet's controller is this deployment (by uid when both have one, else by name:
    a label selector alone could match another deployment's ReplicaSets)."""
    dep_meta = dep.get("metadata") or {}
    for ref in (rs.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("kind") != "Deployment" or ref.get("controller") is False:
            continue
        if ref.get("uid") and dep_meta.get("uid"):
            if ref["uid"] == dep_meta["uid"]:
                return True
        elif ref.get("name") == dep_meta.get("name"):
            return True
    return False


def _revision(obj: Mapping[str, Any]) -> int | None:
    value = ((obj.get("metadata") or {}).get("annotations") or {}).get(REVISION)
    return int(value) if isinstance(value, str) and value.isdigit() else None


def _without_hash(template: Mapping[str, Any]) -> Any:
    copy = json.loads(json.dumps(template))
    ((copy.get("metadata") or {}).get("labels") or {}).pop(_TEMPLATE_HASH_LABEL, None)
    return copy


# ---- label selectors (kmock and some proxies ignore them, so they are applied here too) --------

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


# ---- pod logs ---------------------------------------------------------------------------------

_TIMESTAMPED = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) ?(.*)$", re.S)


@dataclass(frozen=True, slots=True)
class _Cursor:
    """Where the tail of one container stands: the newest timestamp read, the lines carrying
    exactly that timestamp (the API's `sinceSeconds` is whole seconds, so each read overlaps the
    previous one and these lines are how the overlap is dropped), when that read was made (our
    clock), and whether it was cut short by `limit_bytes`."""

    last: datetime | None = None
    at_last: frozenset[str] = frozenset()
    read_at: datetime | None = None
    truncated: bool = False


class KubernetesLogSource:
    """Logs of the pods matching a label selector, stern-like: every cycle lists the pods again,
    so a pod that appears (a restart, a scale-up) is followed from the next cycle; each container
    is read with `sinceSeconds` covering the time since the previous read, timestamps on, and the
    overlap is dropped. A line is kept to `MAX_LINE_BYTES`, like the file tail's."""

    name = "logs"

    def __init__(
        self,
        cfg: ClusterConfig,
        log_cfg: LogConfig,
        *,
        interval_s: float = 2.0,
        tail_lines: int = 100,
        max_lines: int = 1000,
        limit_bytes: int = 1_000_000,
        clock: Clock | None = None,
    ) -> None:
        self.cfg = cfg
        self.log_cfg = log_cfg
        self.interval_s = interval_s
        self.tail_lines = tail_lines
        self.max_lines = max_lines  # lines handed on per cycle; the rest are counted as dropped
        self.limit_bytes = limit_bytes  # read per container per cycle
        self.clock = clock or SystemClock()
        self.label = log_cfg.name or (f"pods {log_cfg.selector}" if log_cfg.selector else "pods")
        self._selector_error: str | None = None
        try:
            self._match = parse_selector(log_cfg.selector)
        except ValueError as err:  # reported at every poll, like any other unreadable source
            self._match = lambda labels: False
            self._selector_error = f"selector: {one_line(str(err), 160)}"
        self._cluster = _Cluster(cfg)
        self._cursors: dict[tuple[str, str, str], _Cursor] = {}

    async def probe(self) -> None:
        await self._cluster.probe()

    async def poll(self) -> LogBatch:
        if self._selector_error:
            raise SourceError(self._selector_error)
        return await asyncio.to_thread(self._cluster.call, self._read)

    def _namespace(self, conn: Connection) -> str:
        if self.log_cfg.namespace:
            return self.log_cfg.namespace
        return self.cfg.namespaces[0] if self.cfg.namespaces else conn.namespace

    def _read(self, conn: Connection) -> LogBatch:
        core = client.CoreV1Api(conn.api)
        ns = self._namespace(conn)
        listing = _json(
            core.list_namespaced_pod(
                ns,
                label_selector=self.log_cfg.selector or None,
                _preload_content=False,
                _request_timeout=self.cfg.timeout_s,
            )
        )
        pods = [
            p
            for p in _items(listing)
            if _in_namespace(p, ns) and self._match((p.get("metadata") or {}).get("labels") or {})
        ]
        lines: list[LogLine] = []
        # The cursors move on only when the whole cycle succeeded: a failure on one container
        # must not lose the lines already read from the others.
        cursors: dict[tuple[str, str, str], _Cursor] = {}
        now = self.clock.now()
        for pod in sorted(pods, key=lambda p: str((p.get("metadata") or {}).get("name"))):
            pod_name = str((pod.get("metadata") or {}).get("name") or "")
            containers = [str(c.get("name")) for c in (pod.get("spec") or {}).get("containers") or []]
            for container in containers:
                key = (ns, pod_name, container)
                if not _has_started(pod, container):
                    continue  # a waiting container has no log yet; asking is a 400
                origin = pod_name if len(containers) == 1 else f"{pod_name}/{container}"
                got, cursors[key] = self._read_container(core, key, origin, now)
                lines.extend(got)
        self._cursors = cursors  # pods that went away are forgotten
        # Interleave the pods by time and hand on the newest `max_lines` (a burst over the cap is
        # counted, so the panel can say lines were dropped).
        ordered = sorted(lines, key=lambda ln: ln.at or now)
        kept = ordered[-self.max_lines :] if self.max_lines > 0 else []
        return LogBatch(lines=tuple(kept), dropped=len(ordered) - len(kept))

    def _since_seconds(self, cursor: _Cursor, now: datetime) -> int:
        """Since the previous read, measured on our clock, so that a node whose clock is off
        from ours neither loses lines nor re-reads an hour each cycle; since the newest line
        read when the previous read was cut short (what lies after it is still to read)."""
        start = cursor.last if cursor.truncated or cursor.read_at is None else cursor.read_at
        assert start is not None
        return max(1, math.ceil((now - start) / timedelta(seconds=1)) + 2)

    def _read_container(
        self, core: client.CoreV1Api, key: tuple[str, str, str], origin: str, now: datetime
    ) -> tuple[list[LogLine], _Cursor]:
        ns, pod, container = key
        cursor = self._cursors.get(key) or _Cursor()
        kwargs: dict[str, Any] = {"timestamps": True, "limit_bytes": self.limit_bytes}
        if cursor.last is None:
            kwargs["tail_lines"] = self.tail_lines
        else:
            kwargs["since_seconds"] = self._since_seconds(cursor, now)
        try:
            response = core.read_namespaced_pod_log(
                pod,
                ns,
                container=container,
                _preload_content=False,
                _request_timeout=self.cfg.timeout_s,
                **kwargs,
            )
            try:
                raw = response.data
            finally:
                response.release_conn()
        except ApiException as err:
            if (err.status or 0) in (400, 404):  # the pod went away or its container is not up
                return [], cursor
            raise
        out: list[LogLine] = []
        newest, at_newest = cursor.last, set(cursor.at_last)
        # Lines end at "\n" only: str.splitlines would also split at \r, \x1c or U+2028 inside
        # a line, and those fragments, without a timestamp, would come again every cycle.
        pieces = raw.split(b"\n")
        if pieces and not pieces[-1]:
            pieces.pop()
        for piece in pieces:
            text_line = _cut_line(piece)
            match = _TIMESTAMPED.match(text_line)
            at = parse_time(match.group(1)) if match else None
            body = match.group(2) if match and at else text_line
            if at is not None and cursor.last is not None:
                if at < cursor.last or (at == cursor.last and body in cursor.at_last):
                    continue  # already handed on in an earlier cycle
            if at is not None:
                if newest is None or at > newest:
                    newest, at_newest = at, {body}
                elif at == newest:
                    at_newest.add(body)
            out.append(LogLine(at=at, origin=origin, text=body, level=guess_level(body)))
        truncated = self.limit_bytes > 0 and len(raw) >= self.limit_bytes
        return out, _Cursor(newest, frozenset(at_newest), now, truncated)

    async def close(self) -> None:
        await asyncio.to_thread(self._cluster.drop)


def _has_started(pod: Mapping[str, Any], container: str) -> bool:
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        if cs.get("name") == container:
            state = cs.get("state") or {}
            return bool(state.get("running") or state.get("terminated") or cs.get("restartCount"))
    return False


def _cut_line(raw: bytes) -> str:
    """One line of a pod's log as text: the trailing CR dropped, and cut at `MAX_LINE_BYTES` with
    the size of the cut in the text."""
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    if len(raw) <= MAX_LINE_BYTES:
        return raw.decode("utf-8", errors="replace")
    return f"{raw[:MAX_LINE_BYTES].decode('utf-8', errors='replace')}… [+{len(raw) - MAX_LINE_BYTES} bytes]"

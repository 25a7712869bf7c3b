"""The pods panel's source: pods and deployments of the configured namespaces."""

from __future__ import annotations

import asyncio

from kubernetes import client

from tui.config.schema import ClusterConfig
from tui.core.model import ClusterSnapshot, DeploymentInfo, PodInfo
from tui.sources.kubernetes.connection import Cluster, Connection, in_namespace, items_of, read_json
from tui.sources.kubernetes.status import deployment_info, pod_info


class KubernetesSource:
    """Pods and deployments of the configured namespaces (default: the context's namespace)."""

    name = "kubernetes"

    def __init__(self, cfg: ClusterConfig) -> None:
        self.cfg = cfg
        self.interval_s = cfg.interval_s
        self._cluster = Cluster(cfg)

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
            pod_list = read_json(
                core.list_namespaced_pod(ns, _preload_content=False, _request_timeout=timeout)
            )
            pods.extend(pod_info(p) for p in items_of(pod_list) if in_namespace(p, ns))
            dep_list = read_json(
                apps.list_namespaced_deployment(ns, _preload_content=False, _request_timeout=timeout)
            )
            deployments.extend(deployment_info(d) for d in items_of(dep_list) if in_namespace(d, ns))
        pods.sort(key=lambda p: (p.namespace, p.name))
        deployments.sort(key=lambda d: (d.namespace, d.name))
        return ClusterSnapshot(context=conn.context, pods=tuple(pods), deployments=tuple(deployments))

    async def close(self) -> None:
        await asyncio.to_thread(self._cluster.drop)

"""The project's own Kubernetes API server for tests: a real HTTP(S) server on 127.0.0.1 that
behaves like kube-apiserver for what warroom and kubectl use (tests/sources/test_apiserver_kubectl.py
runs the real kubectl against it).

Start it (in-process, in its own threads, so sync clients, threads and subprocesses all reach it;
the fixtures are in plugin.py):

    with ApiServer() as api:                     # or the `apiserver` fixture (no controller)
        api.kubeconfig(tmp_path / "kubeconfig")  # kube.py's layout, token kube.TOKEN
        api.url                                  # http://127.0.0.1:PORT

or from a shell: `python -m tests.servers.apiserver --pods 10000 --namespaces 50 --port 8001
--kubeconfig kc.json` (prints `url=...`; `--tls DIR`, `--churn N` changes a second,
`--deployments K` per namespace; see __main__.py).

HTTPS: `ApiServer(tls=tls.ca_signed(dir).server)` and `api.kubeconfig(path, ca_file=...)`.
kubectl sends no bearer token over plain HTTP, so RBAC with kubectl needs TLS.

Objects (tests/servers/kube.py builders or any dict with kind/metadata):

    api.seed(kube.pod("web-1"), kube.deployment("web"))   # namespaces created as needed
    api.patch("pods", "shop", "web-1", {"status": {"phase": "Failed"}})   # merge patch
    api.mutate("pods", "shop", "web-1", lambda pod: pod["metadata"].update(labels={}))
    api.delete("deployments", "shop", "web")   # cascades to its replicasets and pods
    ApiServer(pod_grace=1.0)   # a deleted pod is Terminating for 1 s first (default: gone at once)
    api.get("pods", "shop", "web-1"); api.list("pods", "shop")
    api.event(pod, "BackOff", "Back-off restarting failed container", type="Warning", count=7)

Every write sets metadata.resourceVersion (one global counter: `api.resource_version`), uid,
creationTimestamp (kept when given), generation (workloads; bumped when spec changes).

Watches: `?watch=1&resourceVersion=N` streams the changes after N; `api.compact(keep=0)`
forgets the history, so a watch from before it gets an ERROR event with a 410 Expired Status
(HTTP 200 first, as the real watch cache does); BOOKMARKs every `ApiServer(bookmark_interval=s)`
when asked; `timeoutSeconds`, label and field selectors (a change that leaves a selector is a
DELETED), `sendInitialEvents=true` honoured.

Restart: `api.restart()` (same port, state kept) or `api.restart(keep_state=False)` (comes back
empty; earlier resourceVersions are then expired). `api.stop()` cuts open watches.

RBAC: `api.rbac.grant("viewer-token", "viewer", rule(VIEW, "pods", "payments"))`; from the
first grant on, other tokens get 401 and a refusal is a 403 with kube-apiserver's message.
kube.TOKEN stays admin.

Logs: `api.set_log("shop", "web-1", ["a", "b"], container="app", previous=False)`,
`api.append_log("shop", "web-1", "c")` (a follower gets it).

Workloads: the controller (`ApiServer()` and the `apiserver_with_controllers` fixture have it;
`ApiServer(controller=False)` and the `apiserver` fixture none) rolls deployments and
statefulsets (kube.statefulset) out step by step (`api.controller.step`,
`api.controller.stall = True`), makes the pods it creates ready after
`api.controller.ready_after` seconds, never for an image in `api.controller.failing_images`.
It owns what it reconciles: a seeded ReplicaSet is scaled to its spec.replicas (kube.replicaset's
default is 0) and a seeded deployment's status is rewritten; seed with the controller off to
keep hand-written statuses. Pods seeded without an owner are never touched.

Tables: a request with `Accept: application/json;as=Table;...` (kubectl get, get -w) gets the
API server's printed columns (printers.py: printPod, printEvent, ... of Kubernetes 1.32).

`api.seen` holds the last requests (method, path, query, headers, body).
"""

from tests.servers.apiserver.rbac import VIEW, Rule, rule
from tests.servers.apiserver.server import ApiServer

__all__ = ["VIEW", "ApiServer", "Rule", "rule"]

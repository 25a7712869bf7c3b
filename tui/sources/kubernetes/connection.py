"""The connection to a cluster: the kubeconfig read as kubectl reads it (several files, a chosen
context, in-cluster), one `ApiClient` per object (`config.new_client_from_config`: the global
`load_kube_config` is shared process state and races when several contexts are in play), every
call with a `_request_timeout` (the client's default is none), and its failures in one line.

The official client is synchronous: each call runs in `asyncio.to_thread`. Responses are read
as raw JSON (`_preload_content=False`) rather than the client's pydantic models: the dicts are
the API's documented shape, a field the models do not know cannot fail a whole list, and
parsing them is plain code that the tests exercise directly."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
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

from tui.config.schema import ClusterConfig
from tui.core.untrusted import one_line
from tui.sources.base import SourceError
from tui.sources.http import seconds
from tui.sources.probe import unreachable, url_endpoint
from tui.sources.tls import chain, tls_line

IN_CLUSTER = "in-cluster"
_SA_NAMESPACE_FILE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


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
    # Each watch holds a connection for as long as it streams (two per watched namespace): a
    # pool smaller than that discards connections with a logged warning, which would land on
    # the terminal. The pool keeps only what was opened; this is a bound, not an allocation.
    conf.connection_pool_maxsize = 256
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
        doc, contexts = _read_kubeconfig(paths)
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


def _read_kubeconfig(paths: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The (merged) kubeconfig and its contexts, read as kubectl reads them. Raises SourceError."""
    merged = KubeConfigMerger(paths).config
    doc = merged.value if merged is not None else None
    if not isinstance(doc, dict):
        raise SourceError(f"kubeconfig {one_line(paths)}: not a kubeconfig (no mapping at the top)")
    items = [getattr(c, "value", c) for c in doc.get("contexts") or []]  # ConfigNode-wrapped
    return doc, [c for c in items if isinstance(c, dict)]


def kubeconfig_contexts(cfg: ClusterConfig) -> dict[str, str]:
    """Every context the kubeconfig names -> its namespace ("default" when it names none), as
    `kubectl config get-contexts` lists them (in a pod: "in-cluster" and the service account's
    namespace); {} when the kubeconfig cannot be read (the pods panel says why)."""
    if cfg.kubeconfig == IN_CLUSTER:
        try:
            return {IN_CLUSTER: _SA_NAMESPACE_FILE.read_text().strip() or "default"}
        except OSError:
            return {IN_CLUSTER: "default"}
    try:
        paths = kubeconfig_paths(cfg)
        if not any(Path(p).is_file() for p in paths.split(os.pathsep)):
            return {}
        _, contexts = _read_kubeconfig(paths)
    except Exception:  # broken YAML, unreadable file: the pods panel reports it in one line
        return {}
    found: dict[str, str] = {}
    for item in contexts:
        name, context = item.get("name"), item.get("context")
        if isinstance(name, str) and name:
            namespace = context.get("namespace") if isinstance(context, dict) else None
            found[name] = namespace if isinstance(namespace, str) and namespace else "default"
    return found


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
    causes = list(chain(err))
    if any(isinstance(e, ConnectionRefusedError) for e in causes) or any(
        isinstance(e, NewConnectionError) and "refused" in str(e).lower() for e in causes
    ):
        return f"connection refused ({host})"
    if any(isinstance(e, ReadTimeoutError | TimeoutError) for e in causes):
        return f"no answer from {host} in {seconds(timeout_s)} s"
    # NewConnectionError is a subclass of ConnectTimeoutError in urllib3 2, so it goes first.
    if any(isinstance(e, NewConnectionError) for e in causes):
        return f"cannot connect to {host}: {one_line(str(causes[-1]), 120)}"
    if any(isinstance(e, ConnectTimeoutError) for e in causes):
        return f"could not connect to {host} in {seconds(timeout_s)} s"
    if any(isinstance(e, ProtocolError) for e in causes):
        return f"connection to {host} broken: {one_line(str(causes[-1]), 120)}"
    if isinstance(err, json.JSONDecodeError | UnicodeDecodeError):
        return f"{host} did not answer with Kubernetes JSON"
    return f"{type(err).__name__}: {one_line(str(err), 160)}"


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


def read_json(response: Any) -> Any:
    """The body of a `_preload_content=False` response as JSON; the connection goes back to the pool."""
    try:
        return json.loads(response.data)
    finally:
        response.release_conn()


class Cluster:
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


def items_of(listing: Any) -> list[Mapping[str, Any]]:
    if not isinstance(listing, dict) or not isinstance(listing.get("items"), list):
        raise SourceError("the API server answered without an item list")
    return [i for i in listing["items"] if isinstance(i, dict)]


def in_namespace(obj: Mapping[str, Any], ns: str) -> bool:
    found = (obj.get("metadata") or {}).get("namespace")
    return found in (None, "", ns)

"""The test API server's RBAC by bearer token and its TLS: 401 for an unknown token, 403 with
kube-apiserver's message for each scope (namespace, cluster, a named object, a subresource),
and HTTPS that survives a restart on the same port."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest

from tests.servers import kube
from tests.servers.apiserver import VIEW, ApiServer, rule
from tests.servers.tls import ca_signed


def as_user(
    api: ApiServer, token: str, method: str, path: str, body: bytes = b"", content_type: str = ""
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    if content_type:
        headers["Content-Type"] = content_type
    return httpx.request(method, api.url + path, headers=headers, content=body, timeout=5)


@pytest.fixture
def restricted(apiserver: ApiServer) -> ApiServer:
    apiserver.seed(kube.pod("pay-1", "payments"), kube.deployment("pay", "payments"))
    apiserver.rbac.grant("viewer-token", "viewer", rule(VIEW, "pods", "payments"))
    apiserver.rbac.grant(
        "deployer-token", "deployer", rule(("get", "patch"), ("deployments", "deployments/scale"), "payments")
    )
    return apiserver


def test_everything_is_allowed_until_the_first_grant(apiserver: ApiServer) -> None:
    assert httpx.get(apiserver.url + "/api/v1/pods", timeout=5).status_code == 200  # no token at all
    apiserver.rbac.grant("viewer-token", "viewer", rule(VIEW, "pods"))
    refused = httpx.get(apiserver.url + "/api/v1/pods", timeout=5)
    assert refused.status_code == 401
    assert refused.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Unauthorized",
        "reason": "Unauthorized",
        "code": 401,
    }
    assert (
        as_user(apiserver, kube.TOKEN, "GET", "/api/v1/pods").status_code == 200
    )  # the fixture's token: admin


@pytest.mark.parametrize(
    ("token", "method", "path", "message"),
    [
        (
            "viewer-token",
            "GET",
            "/apis/apps/v1/namespaces/payments/deployments",
            'deployments.apps is forbidden: User "viewer" cannot list resource "deployments" '
            'in API group "apps" in the namespace "payments"',
        ),
        (
            "viewer-token",
            "GET",
            "/api/v1/pods?watch=1",
            'pods is forbidden: User "viewer" cannot watch resource "pods" in API group "" '
            "at the cluster scope",
        ),
        (
            "viewer-token",
            "DELETE",
            "/api/v1/namespaces/payments/pods/pay-1",
            'pods "pay-1" is forbidden: User "viewer" cannot delete resource "pods" in API group "" '
            'in the namespace "payments"',
        ),
        (
            "viewer-token",
            "GET",
            "/api/v1/namespaces/payments/pods/pay-1/log",
            'pods "pay-1" is forbidden: User "viewer" cannot get resource "pods/log" in API group "" '
            'in the namespace "payments"',
        ),
        (
            "deployer-token",
            "PUT",
            "/apis/apps/v1/namespaces/payments/deployments/pay/scale",
            'deployments.apps "pay" is forbidden: User "deployer" cannot update resource "deployments/scale" '
            'in API group "apps" in the namespace "payments"',
        ),
    ],
)
def test_a_refusal_is_a_403_with_the_real_message(
    restricted: ApiServer, token: str, method: str, path: str, message: str
) -> None:
    refused = as_user(restricted, token, method, path)
    assert refused.status_code == 403
    body = refused.json()
    assert (body["reason"], body["code"], body["message"]) == ("Forbidden", 403, message)


def test_what_is_granted_passes(restricted: ApiServer) -> None:
    assert as_user(restricted, "viewer-token", "GET", "/api/v1/namespaces/payments/pods").status_code == 200
    scale = as_user(
        restricted,
        "deployer-token",
        "PATCH",
        "/apis/apps/v1/namespaces/payments/deployments/pay/scale",
        b'{"spec":{"replicas":5}}',
        "application/merge-patch+json",
    )
    assert scale.status_code == 200 and scale.json()["spec"]["replicas"] == 5
    assert as_user(restricted, "viewer-token", "GET", "/api").status_code == 200  # discovery: any user


def test_tls_with_a_trusted_ca_and_a_restart_on_the_same_port(tmp_path: Path) -> None:
    tls = ca_signed(tmp_path / "tls")
    with ApiServer(tls=tls.server, controller=False) as api:
        api.seed(kube.pod("web-1"))
        assert api.url.startswith("https://127.0.0.1:")
        with httpx.Client(verify=ssl.create_default_context(cafile=tls.ca_file), timeout=5) as client:
            assert len(client.get(api.url + "/api/v1/pods").json()["items"]) == 1
            port = api.port
            api.restart()
            assert api.port == port
            assert len(client.get(api.url + "/api/v1/pods").json()["items"]) == 1
        with pytest.raises(httpx.ConnectError):
            httpx.get(api.url + "/api/v1/pods", timeout=5)  # a client that does not trust the CA

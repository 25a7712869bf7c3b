"""The test API server's pytest fixtures (registered in tests/conftest.py), each a started
ApiServer on plain HTTP with bookmarks every 0.2 s, stopped after the test:

- `apiserver`: no controller. What a test seeds stays exactly as seeded (a deployment's status,
  a ReplicaSet's replicas): for sources and panels that read the cluster.
- `apiserver_with_controllers`: deployments, replicasets and statefulsets are reconciled and
  the pods they create started (tests/servers/apiserver/controller.py): for rollouts, scale,
  undo and kubectl's rollout commands.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers.apiserver.server import ApiServer


def serving(controller: bool) -> Iterator[ApiServer]:
    """A started test API server (bookmarks every 0.2 s), stopped when the generator ends."""
    api = ApiServer(bookmark_interval=0.2, controller=controller)
    api.start()
    try:
        yield api
    finally:
        api.stop()


@pytest.fixture
def apiserver() -> Iterator[ApiServer]:
    yield from serving(controller=False)


@pytest.fixture
def apiserver_with_controllers() -> Iterator[ApiServer]:
    yield from serving(controller=True)

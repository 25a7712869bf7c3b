"""The `apiserver` pytest fixture (registered in tests/conftest.py): a started ApiServer, plain
HTTP, controller on, bookmarks every 0.2 s; stopped after the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers.apiserver.server import ApiServer


@pytest.fixture
def apiserver() -> Iterator[ApiServer]:
    api = ApiServer(bookmark_interval=0.2)
    api.start()
    try:
        yield api
    finally:
        api.stop()

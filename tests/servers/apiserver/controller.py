"""The workload controllers (filled in by the next slice)."""

from __future__ import annotations

from typing import Any


class Controller:
    def __init__(self, api: Any, *, step: float = 0.05) -> None:
        self.api = api
        self.step = step

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def forget(self) -> None:
        pass

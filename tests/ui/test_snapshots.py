"""What the war room looks like, pinned: the seeded demo under a frozen clock at 80×24 and
160×50, help, a filter, and an observer's screen. Update with `pytest --snapshot-update` after a
deliberate change, and look at the SVGs (rsvg-convert) before committing them."""

from __future__ import annotations

import pytest

from tests.ui.harness import demo_app, settle_demo


@pytest.fixture(autouse=True)
def fixed_host(monkeypatch):
    # Actors name the host; a snapshot must not depend on the machine that ran it.
    monkeypatch.setattr("tui.incident.actor._host", lambda: "bastion-1")
    monkeypatch.setattr("tui.incident.actor._user", lambda: "oncall")


def test_demo_160x50(snap_compare, tmp_path):
    assert snap_compare(demo_app(tmp_path), terminal_size=(160, 50), run_before=settle_demo)


def test_demo_80x24(snap_compare, tmp_path):
    assert snap_compare(demo_app(tmp_path), terminal_size=(80, 24), run_before=settle_demo)


def test_demo_80x24_pods_tab(snap_compare, tmp_path):
    async def run_before(pilot) -> None:
        await settle_demo(pilot)
        await pilot.press("2")

    assert snap_compare(demo_app(tmp_path), terminal_size=(80, 24), run_before=run_before)


def test_help_160x50(snap_compare, tmp_path):
    async def run_before(pilot) -> None:
        await settle_demo(pilot)
        await pilot.press("question_mark")

    assert snap_compare(demo_app(tmp_path), terminal_size=(160, 50), run_before=run_before)


def test_observer_160x50(snap_compare, tmp_path):
    assert snap_compare(demo_app(tmp_path, read_only=True), terminal_size=(160, 50), run_before=settle_demo)


def test_demo_80x24_16_colours(snap_compare, tmp_path):
    # the bastion case: a bare TERM=xterm gets the ANSI theme
    app = demo_app(tmp_path, theme="warroom-16")
    assert snap_compare(app, terminal_size=(80, 24), run_before=settle_demo)

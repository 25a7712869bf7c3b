"""The scenario list: what `warroom demo --list-scenarios` prints and `--scenario` accepts."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tui.demo.platform import DemoPlatform
from tui.demo.scenarios import DEFAULT_SCENARIO, SCENARIOS, get_scenario, list_scenarios

EXPECTED = ["db-connection-exhaustion", "api-gateway-crashloop", "redis-down", "bad-deploy", "queue-backlog"]


def test_list_scenarios_gives_names_and_one_line_each_in_a_stable_order():
    listed = list_scenarios()
    assert [name for name, _ in listed] == EXPECTED
    assert list_scenarios() == listed
    for name, line in listed:
        assert line.strip() == line and "\n" not in line
        assert 20 < len(line) <= 100, name
    assert DEFAULT_SCENARIO in dict(listed)


def test_every_scenario_tells_its_story_and_what_helps():
    for scenario in SCENARIOS:
        assert len(scenario.story) > 80 and len(scenario.fixes) > 40


def test_no_name_means_the_default_and_an_unknown_one_names_the_choices():
    assert get_scenario(None).name == DEFAULT_SCENARIO
    with pytest.raises(ValueError, match="one of: db-connection-exhaustion, api-gateway-crashloop"):
        get_scenario("meteor-strike")


def test_the_platform_refuses_an_unknown_scenario_and_a_negative_start():
    from tests.demo.helpers import T0
    from tui.core.clock import FrozenClock

    with pytest.raises(ValueError, match="unknown scenario"):
        DemoPlatform("meteor-strike", 1, FrozenClock(T0))
    with pytest.raises(ValueError, match="started_ago_s"):
        DemoPlatform(None, 1, FrozenClock(T0), started_ago_s=-5)


def test_the_cli_lists_the_scenarios_in_a_real_process():
    out = subprocess.run(
        [sys.executable, "-m", "tui", "demo", "--list-scenarios"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    rows = [line.split(None, 1) for line in out.splitlines()]
    assert [(name, line) for name, line in rows] == list_scenarios()

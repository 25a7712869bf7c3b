"""`[health] max_concurrency`: the bound on checks in flight, read, checked and wired through."""

from __future__ import annotations

import pytest

from tests.timebase import frozen
from tui.config.load import ConfigError, parse_config
from tui.sources.health import HealthSource
from tui.wiring import sources_for_config

SERVICE = {"services": [{"name": "api", "url": "http://127.0.0.1:1/health"}]}


def test_the_bound_is_read_and_reaches_the_health_source() -> None:
    config = parse_config({**SERVICE, "health": {"max_concurrency": 5}}, "w.toml")
    assert config.health.max_concurrency == 5
    source = sources_for_config(config, frozen())["health"]
    assert isinstance(source, HealthSource) and source.max_concurrency == 5
    assert parse_config(SERVICE, "w.toml").health.max_concurrency == 32  # the default


@pytest.mark.parametrize("value", [0, -3, 2000, 2.5, "8", True])
def test_a_bad_bound_is_one_line(value: object) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config({**SERVICE, "health": {"max_concurrency": value}}, "w.toml")
    assert str(err.value).startswith(
        "w.toml: health.max_concurrency: expected an integer from 1 to 1024 (checks in flight at once), got "
    )


def test_an_unknown_health_key_is_refused() -> None:
    unknown = r"health\.concurrency: unknown key \(did you mean \"max_concurrency\"\?\)"
    with pytest.raises(ConfigError, match=unknown):
        parse_config({**SERVICE, "health": {"concurrency": 5}}, "w.toml")

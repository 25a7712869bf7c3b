"""`[[slos]] unit`: a threshold SLO's value and levels keep their unit on the screen."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.config.load import ConfigError, load_config

THRESHOLD = """[prometheus]
url = "http://127.0.0.1:9090"

[[slos]]
name = "API p95 latency"
query = "x"
objective = 300
warn = 500
breach = 1000
"""


def load(tmp_path: Path, text: str):
    path = tmp_path / "warroom.toml"
    path.write_text(text)
    return load_config(path)


def test_a_threshold_slo_takes_a_unit(tmp_path: Path) -> None:
    config = load(tmp_path, THRESHOLD + 'unit = "ms"\n')
    assert config.slos[0].unit == "ms"
    assert load(tmp_path, THRESHOLD).slos[0].unit is None


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('unit = "m\\u001bs"', 'slos[0].unit: expected a short unit on one line, such as "ms"'),
        ('unit = "a very long unit name"', "slos[0].unit: expected a short unit"),
    ],
)
def test_a_bad_unit_is_one_line(tmp_path: Path, line: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace(".", r"\.")):
        load(tmp_path, THRESHOLD + line + "\n")


def test_a_ratio_slo_has_its_percent_already(tmp_path: Path) -> None:
    ratio = THRESHOLD.replace('query = "x"\nobjective = 300\nwarn = 500\nbreach = 1000\n', "")
    ratio += 'objective = 99.9\nwindow = "30d"\nerror_ratio = "a[{{window}}]"\nunit = "%"\n'
    with pytest.raises(ConfigError, match=r"slos\[0\]\.unit: only for a threshold SLO"):
        load(tmp_path, ratio)

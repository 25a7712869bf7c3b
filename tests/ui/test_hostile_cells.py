"""Outside text in every cell, title, header part, help line and palette entry is literal, cleaned
`Text`: the one table mechanism (DiffTable's `safe_cell`) and the one cleaner, pushed through by
the panels' own sources (in-memory, for speed; the real program with real channels is in
tests/e2e/test_hostile_text_tmux.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rich.cells import cell_len
from rich.text import Text
from textual.app import App, ComposeResult
from textual.command import CommandPalette

from actions import Registry, config_actions
from panels.help import HelpScreen
from panels.table import DiffTable, safe_cell
from tests.timebase import T0
from tests.ui.fakes import ListSource, cluster, health, pod, service, standard_sources
from tests.ui.harness import make_app, settle
from tui.config.schema import ActionConfig
from tui.core.untrusted import clean
from tui.incident.events import Event

MARKUP = ["[@click=app.quit]X[/]", "checkout [/bold]", "[link=http://evil]y[/link]", "[b]x"]
OSC = "\x1b]0;PWNED\x07"
CLIP = "\x1b]52;c;cm0gLXJmIH4=\x07"
TAGS = "".join(chr(0xE0041 + i) for i in range(10))


@pytest.mark.parametrize(
    "raw",
    [
        "zero\u200bwidth",
        "join\u200dme",
        "word\u2060joiner",
        "bom\ufeff",
        "tags" + TAGS,
        "soft\u00adhyphen",
        "ㅤfiller",
    ],
)
def test_invisible_characters_become_one_visible_cell_each(raw: str) -> None:
    out = clean(raw)
    assert "�" in out
    # What Rich measures is what the terminal draws: one cell per character, none of width zero.
    assert cell_len(out) == len(out)


def test_separators_break_like_a_newline_and_plain_ascii_is_untouched() -> None:
    assert clean("a\u2028b\u2029c") == "a ⏎ b ⏎ c"
    assert clean("api-gateway-7d9f8b6c5-x2k4p") == "api-gateway-7d9f8b6c5-x2k4p"


def test_a_table_never_parses_a_cell_as_markup() -> None:
    for raw in MARKUP:
        cell = safe_cell(raw)
        assert isinstance(cell, Text) and cell.plain == raw and not cell.spans
    dirty = safe_cell(Text(f"pod\x1b[2J-1{TAGS}", style="bold"))  # (Rich's Text drops a BEL itself)
    assert dirty.plain == "pod-1" + "�" * len(TAGS) and dirty.style == "bold"
    clean_text = Text("● UP", style="green")
    assert safe_cell(clean_text) is clean_text  # what a panel cleaned is kept as it is


class OneTable(App[None]):
    def compose(self) -> ComposeResult:
        yield DiffTable([("Name", "name", 30), ("What", "what", None)], id="t")


async def test_str_cells_in_every_way_into_the_table_stay_literal() -> None:
    app = OneTable()
    async with app.run_test(size=(80, 12)) as pilot:
        table = app.query_one(DiffTable)
        await pilot.pause()
        table.set_rows({"a": ("[@click=app.quit]X[/]", "checkout [/bold]")})
        table.update_cell("a", "what", "[link=http://evil]y[/link]")
        table.set_rows({"a": ("[@click=app.quit]X[/]", "changed [/i]"), "b": ("[b]x", "[/]")})
        table.add_row("[i]direct", OSC + "osc", key="c")  # DataTable's own way in, too
        await pilot.pause()
        cells = [table.get_cell(row, col) for row in ("a", "b", "c") for col in ("name", "what")]
        assert all(isinstance(c, Text) and not c.spans for c in cells)
        assert [c.plain for c in cells] == [
            "[@click=app.quit]X[/]",
            "changed [/i]",
            "[b]x",
            "[/]",
            "[i]direct",
            "osc",
        ]
        # A click on the cell that reads like a quit link does nothing of the sort.
        await pilot.click(DiffTable, offset=(3, 1))
        await pilot.pause()
        assert app.is_running
        rendered = "".join(s.text for y in range(table.size.height) for s in table.render_line(y))
        assert "[@click=app.quit]X[/]" in rendered and "\x1b" not in rendered


def _event(kind: str, actor: str, text: str) -> Event:
    return Event(
        id=1,
        incident_id=1,
        recorded_at=T0,
        occurred_at=T0 - timedelta(seconds=1),
        actor=actor,
        actor_kind="human",
        source="key",
        kind=kind,
        text=text,
        data={},
        starred=False,
        supersedes=None,
    )


async def test_hostile_names_in_every_panel_header_and_help_stay_text() -> None:
    sources = standard_sources()
    sources["health"] = ListSource("health", [health(*(service(name) for name in MARKUP))])
    sources["pods"] = ListSource(
        "pods",
        [cluster(pod("[@click=app.quit]pod[/]-1", ns="shop[red]ns"), pod("web" + OSC + "-2", ns="[/b]"))],
    )
    title = f"Kill {OSC}[@click=app.quit]now[/]"
    registry = Registry(config_actions([ActionConfig(name=title, key="K", command=("true",))]))
    app = make_app(sources=sources, context=f"prod{OSC}{CLIP}[b]ctx", registry=registry)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)  # before: MarkupError at the first health snapshot
        assert app.is_running
        names = [
            app.panels["health"].table.get_cell(key, "name").plain
            for key in app.panels["health"].table.row_keys
        ]
        assert sorted(names) == sorted(MARKUP)
        pods = app.panels["pods"].table
        shown = {(pods.get_cell(k, "pod").plain, pods.get_cell(k, "ns").plain) for k in pods.row_keys}
        assert ("[@click=app.quit]pod[/]-1", "shop[red]ns") in shown and ("web-2", "[/b]") in shown
        assert app.header.where.plain.strip() == "warroom  prod[b]ctx"
        # The timeline: an event kind and an actor this warroom does not know (another writer).
        timeline = app.panels["timeline"]
        timeline.show_events([_event("kind" + OSC + "[b]x", "eve[/b]" + OSC + "@bastion-1", "t" + CLIP)], T0)
        row = [getattr(c, "plain", c) for c in timeline.table.get_row("1")]
        assert "kind[b]x" in row[2] and row[4] == "eve[/b]" and row[3] == "t"
        # Help, and the palette's "Keys" (which opens the same help), show the name literally.
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert ("K", "Kill [@click=app.quit]now[/]") in [(k, d) for k, d, _ in app.screen.rows]
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"Keys")
        await pilot.pause(0.5)
        await pilot.press("enter")
        for _ in range(50):
            if isinstance(app.screen, HelpScreen):
                break
            await pilot.pause(0.05)
        assert isinstance(app.screen, HelpScreen)

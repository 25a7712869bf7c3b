import pytest
from textual.binding import Binding

from tui.core.errors import UserError
from tui.keys import binding_infos, check_keymap

APP = binding_infos(
    "app",
    [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("r", "restart", "Restart", id="k8s.rollout_restart"),
        Binding("slash", "filter", "Filter", id="app.filter"),
    ],
)
LOGS = binding_infos("LogView", [Binding("f", "follow", "Follow", id="logs.follow")])


def test_a_valid_remap_passes():
    check_keymap({"app.quit": "ctrl+q", "logs.follow": "F"}, APP + LOGS, "warroom.toml")


def test_unknown_binding_id_is_named():
    with pytest.raises(UserError, match=r"warroom.toml: keys.app.qiut: unknown binding id"):
        check_keymap({"app.qiut": "x"}, APP, "warroom.toml")


def test_conflict_names_both_bindings():
    with pytest.raises(
        UserError,
        match=r"'r' is bound to both (app.quit and k8s.rollout_restart|k8s.rollout_restart and app.quit)",
    ):
        check_keymap({"app.quit": "r"}, APP, "warroom.toml")


def test_panel_binding_cannot_take_an_app_key():
    with pytest.raises(
        UserError, match=r"'q' is bound to both (app.quit and logs.follow|logs.follow and app.quit)"
    ):
        check_keymap({"logs.follow": "q"}, APP + LOGS, "warroom.toml")


def test_empty_key_is_refused():
    with pytest.raises(UserError, match=r"keys.app.quit: expected a key"):
        check_keymap({"app.quit": "  "}, APP, "warroom.toml")


def test_every_binding_of_the_app_panels_and_dialogs_can_be_remapped_by_id():
    from tui.app import all_bindings, check_app_keymap

    ids = {info.id for info in all_bindings()}
    assert {"app.quit", "logs.follow", "help.close", "confirm.cancel", "composer.save"} <= ids
    check_app_keymap({"logs.follow": "F", "composer.save": "ctrl+w"}, "warroom.toml")
    # the built-in keys clash with nothing among themselves
    check_keymap({}, all_bindings(), "built-in", strict=True)
    # a dialog's keys shadow the app's while it is open: escape in a dialog is no clash
    check_app_keymap({"confirm.cancel": "q"}, "warroom.toml")
    with pytest.raises(UserError, match="'f' is bound to both"):
        check_app_keymap({"app.quit": "f"}, "warroom.toml")


def test_key_names_are_textuals_for_every_printable_character():
    """tui.core.keynames names keys without importing Textual: it must agree with Textual."""
    import string

    from textual.keys import _character_to_key

    from tui.core.keynames import normalise

    for char in [c for c in string.printable if not c.isspace()] + list("é€→"):
        assert normalise(char) == _character_to_key(char), repr(char)
    assert normalise(" ctrl+r ") == "ctrl+r"

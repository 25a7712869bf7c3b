import pytest
from rich.text import Text

from tui.core.untrusted import clean, literal, one_line

HOSTILE = [
    ("\x1b]0;owned\x07title", "title"),  # OSC window title (BEL)
    ("\x1b]0;owned\x1b\\title", "title"),  # OSC window title (ST)
    ("\x1b[2J\x1b[Hcleared", "cleared"),  # clear screen, home
    ("\x1b[?1049lleft alt screen", "left alt screen"),
    ("\x1bP+q544e\x1b\\dcs", "dcs"),  # DCS query
    ("\x9b2Jeight-bit", "eight-bit"),  # 8-bit CSI
    ("\x1b]52;c;ZXZpbA==\x07clip", "clip"),  # OSC 52 clipboard write
    ("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "link"),  # hyperlink
    ("bell\x07", "bell�"),
    ("nul\x00byte", "nul�byte"),
    ("back\x08space", "back�space"),
    ("cr\rreturn", "cr�return"),
    ("trailing escape \x1b", "trailing escape "),
]


@pytest.mark.parametrize(("raw", "expected"), HOSTILE)
def test_terminal_control_never_survives(raw: str, expected: str) -> None:
    out = clean(raw)
    assert out == expected
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in out)


def test_markup_stays_literal() -> None:
    text = literal("[bold red]x[/] [link=http://evil]y[/link] [@click=app.quit]z[/]")
    assert isinstance(text, Text)
    assert text.plain == "[bold red]x[/] [link=http://evil]y[/link] [@click=app.quit]z[/]"
    assert not text.spans


def test_newlines_tabs_and_length() -> None:
    assert clean("a\nb\tc") == "a ⏎ b    c"
    assert clean("a\nb", keep_newlines=True) == "a\nb"
    long = clean("x" * 10_000, max_len=100)
    assert long.startswith("x" * 100) and long.endswith("[+9900 chars]")
    assert len(clean("y" * 5_000_000)) < 10_000  # a huge line is bounded before the regex work


def test_bidi_overrides_are_made_visible() -> None:
    assert clean("admin\u202etxt.exe") == "admin�txt.exe"


def test_one_line_folds_whitespace() -> None:
    assert one_line("  connection\n\n refused  ") == "connection refused"

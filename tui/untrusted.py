"""Outside text is data, never markup, and never terminal control.

Every string that came from outside warroom (a response body, a pod reason, a log line, a note
typed by someone, an action's output) goes through `clean()` before it reaches a widget, and is
shown as a `rich.text.Text` (literal), never interpolated into markup. Textual passes ESC
sequences inside plain `Text` straight to the terminal (a log line changed the window title and
cleared the screen here), and Rich strips only BEL, BS, VT, FF and CR, so this is the one place
that makes outside text safe.
"""

from __future__ import annotations

import re

from rich.text import Text

# ESC-introduced sequences (CSI, OSC, DCS, two-byte escapes) are removed whole, so that no
# fragment such as "]0;title" is left behind; then every remaining C0/C1 control and DEL
# becomes a visible replacement, so a reader can tell something was there.
_ESCAPE_SEQ = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC ... BEL / ST
    r"|\x1b[PX^_][^\x1b\x9c]*(?:\x1b\\|\x9c)?"  # DCS / SOS / PM / APC ... ST
    r"|\x1b[ -/]*[0-~]?"  # other escapes (and a lone ESC)
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|[\x90\x9d\x98\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # 8-bit DCS/OSC/SOS/PM/APC
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Bidirectional overrides can reorder what a reader sees (Trojan Source); show them as escapes.
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")

MAX_LINE = 4000  # characters kept of one line; a longer one is cut with a marker


def clean(text: str, *, max_len: int = MAX_LINE, keep_newlines: bool = False) -> str:
    """`text` with terminal control removed, safe to show literally.

    Tabs become spaces; newlines become " ⏎ " unless `keep_newlines`; anything longer than
    `max_len` is cut and says how much was cut.
    """
    if not isinstance(text, str):
        text = str(text)
    original = len(text)
    if original > max_len * 4:  # bound the regex work on a huge line before cleaning
        text = text[: max_len * 4]
    text = _ESCAPE_SEQ.sub("", text)
    text = text.replace("\t", "    ").replace("\r\n", "\n")
    if not keep_newlines:
        text = text.replace("\n", " ⏎ ")
    text = _CONTROLS.sub(lambda m: "\n" if m.group() == "\n" else "�", text)
    text = _BIDI.sub("�", text)
    if len(text) > max_len:
        cut = len(text) - max_len if original <= max_len * 4 else original - max_len
        text = f"{text[:max_len]}… [+{cut} chars]"
    return text


def one_line(text: str, max_len: int = 200) -> str:
    """A short single line (status lines, table cells, error messages)."""
    return clean(" ".join(str(text).split()), max_len=max_len)


def literal(text: str, style: str = "", *, max_len: int = MAX_LINE) -> Text:
    """A Rich `Text` that shows `text` exactly as data: no markup, no control codes."""
    return Text(clean(text, max_len=max_len), style=style, no_wrap=True, end="")

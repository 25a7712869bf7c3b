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
# Invisible characters become visible: every Unicode format character (category Cf: zero-width
# space and joiners, soft hyphen, word joiner, BOM, the bidirectional overrides that reorder what
# a reader sees (Trojan Source), the tag characters U+E0020-E007F) and the Hangul fillers, which
# draw nothing. Rich counts most of them as zero cells and terminals do not agree (a line of tag
# characters moved a panel's right border by 3 cells); "api\u200b-gateway" also looks exactly
# like "api-gateway". Each becomes one "�", as wide everywhere.
_INVISIBLE = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160\u180e"
    "\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e007f]"
)
# Line and paragraph separators break a line like a newline does.
_SEPARATORS = re.compile("[\u2028\u2029]")

MAX_LINE = 4000  # characters kept of one line; a longer one is cut with a marker


def clean(text: str, *, max_len: int = MAX_LINE, keep_newlines: bool = False) -> str:
    """`text` with terminal control removed, safe to show literally.

    Tabs become spaces; newlines become " ⏎ " unless `keep_newlines`; anything longer than
    `max_len` is cut and says how much was cut.
    """
    if not isinstance(text, str):
        text = str(text)
    original = len(text)
    if original <= max_len and text.isascii() and text.isprintable():
        return text  # the common case (a pod name, a status word): nothing to clean
    if original > max_len * 4:  # bound the regex work on a huge line before cleaning
        text = text[: max_len * 4]
    text = _ESCAPE_SEQ.sub("", text)
    text = _SEPARATORS.sub("\n", text.replace("\t", "    ").replace("\r\n", "\n"))
    if not keep_newlines:
        text = text.replace("\n", " ⏎ ")
    text = _CONTROLS.sub(lambda m: "\n" if m.group() == "\n" else "�", text)
    text = _INVISIBLE.sub("�", text)
    if len(text) > max_len:
        cut = len(text) - max_len if original <= max_len * 4 else original - max_len
        text = f"{text[:max_len]}… [+{cut} chars]"
    return text


def one_line(text: str, max_len: int = 200) -> str:
    """A short single line (status lines, table cells, error messages)."""
    if (
        type(text) is str
        and len(text) <= max_len
        and " " not in text
        and text.isascii()
        and text.isprintable()
    ):
        return text  # a pod name, a status word: nothing to fold or clean (50 000 a snapshot)
    return clean(" ".join(str(text).split()), max_len=max_len)


def literal(text: str, style: str = "", *, max_len: int = MAX_LINE) -> Text:
    """A Rich `Text` that shows `text` exactly as data: no markup, no control codes."""
    return Text(clean(text, max_len=max_len), style=style, no_wrap=True, end="")

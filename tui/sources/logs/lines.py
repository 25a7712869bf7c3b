"""What a log line says of itself: its level (guessed from the first few hundred characters, as
JSON, logfmt, klog or a bare word) and a leading timestamp. Pure: no I/O."""

from __future__ import annotations

import re
from datetime import UTC, datetime

# ---- levels -------------------------------------------------------------------------------------

_SCAN = 400  # a level is announced near the start of a line; a 5 MB line is not scanned whole

_LEVELS: dict[str, str] = {
    **dict.fromkeys(
        (
            "error",
            "err",
            "eror",
            "fatal",
            "ftl",
            "panic",
            "dpanic",
            "crit",
            "critical",
            "alert",
            "emerg",
            "emergency",
            "severe",
        ),
        "error",
    ),
    **dict.fromkeys(("warn", "warning", "wrn"), "warn"),
    **dict.fromkeys(("info", "inf", "information", "informational", "notice"), "info"),
    **dict.fromkeys(("debug", "dbg", "trace", "trc", "verbose", "fine"), "debug"),
}
# pino / bunyan numeric levels
_NUMERIC = {10: "debug", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "error"}

# level=error, lvl=warn, severity=ERROR, "level":"error", "severity": "WARNING", level: info
_KEYED = re.compile(
    r"""["']?\b(?:level|lvl|severity|loglevel|log_level|levelname|log\.level|detected_level)["']?"""
    r"""\s*[=:]\s*["']?([A-Za-z]+|\d\d)\b""",
    re.IGNORECASE,
)
# klog: E1123 10:00:00.123456 ... (I info, W warning, E error, F fatal)
_KLOG = re.compile(r"^\s*([IWEF])\d{4} \d\d:\d\d:\d\d\.\d+\s")
_KLOG_LEVELS = {"I": "info", "W": "warn", "E": "error", "F": "error"}
# [ERROR], [warn], <error>, (INFO)
_BRACKETED = re.compile(r"[\[<(]\s*([A-Za-z]+)\s*[\]>)]")
# An upper-case level word anywhere near the start (Python logging's "ERROR:root:", log4j's
# "2024-05-01 10:00:00 WARN [main]", zerolog's "ERR"), or any-case one followed by a colon
# ("error: cannot open", "Warning: deprecated"); whichever comes first.
_WORD = re.compile(
    r"\b(?:(ERROR|ERR|FATAL|FTL|PANIC|CRITICAL|CRIT|SEVERE|EMERG|WARN|WARNING|WRN|INFO|INF|NOTICE"
    r"|DEBUG|DBG|TRACE|TRC)\b|(?i:(error|warning|warn|fatal|panic|critical|info|debug))\s*:)"
)
# Last resort: a crash, whatever the shape of the line.
_CRASH = re.compile(
    r"(?i:\b(?:panic|fatal|traceback)\b)|\b[A-Z]\w*(?:Error|Exception)\b:|\bnpm ERR!", re.ASCII
)


_COLOURS = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")  # "\x1b[31mERROR\x1b[0m" is still ERROR


def level_word(word: str) -> str | None:
    if word.isdigit():
        return _NUMERIC.get(int(word))
    return _LEVELS.get(word.lower())


def guess_level(text: str) -> str | None:
    """ "error" | "warn" | "info" | "debug" from the common shapes of a log line, or None.

    Structured fields win over words in the message: `level=info msg="recovered from panic"` is
    info. Only the start of a line is looked at.
    """
    head = _COLOURS.sub("", text[:_SCAN])
    for match in _KEYED.finditer(head):
        level = level_word(match.group(1))
        if level:
            return level
    klog = _KLOG.match(head)
    if klog:
        return _KLOG_LEVELS[klog.group(1)]
    for match in _BRACKETED.finditer(head):
        level = _LEVELS.get(match.group(1).lower())
        if level:
            return level
    word = _WORD.search(head)
    if word:
        return _LEVELS[(word.group(1) or word.group(2)).lower()]
    if _CRASH.search(head):
        return "error"
    return None


# ---- timestamps ---------------------------------------------------------------------------------

# A leading RFC 3339 / ISO 8601 timestamp that names its zone; one without a zone is local time
# of some unknown host, so it is not trusted.
_LEADING_TIME = re.compile(
    r"^\s*\[?(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:[.,](\d{1,9}))?\s?(Z|[+-]\d\d:?\d\d)(?=[\s\]]|$)"
)


def leading_time(text: str) -> datetime | None:
    match = _LEADING_TIME.match(text[:64])
    if not match:
        return None
    day, clock, frac, zone = match.groups()
    zone = "+00:00" if zone == "Z" else (zone if ":" in zone else f"{zone[:3]}:{zone[3:]}")
    micro = f".{(frac or '0')[:6]}"
    try:
        return datetime.fromisoformat(f"{day}T{clock}{micro}{zone}").astimezone(UTC)
    except ValueError:
        return None


MAX_LINE_BYTES = 16 * 1024  # of one log line kept; the rest of a longer line is counted, not kept

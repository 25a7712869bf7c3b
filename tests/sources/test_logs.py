"""The log sources: the level guess, the file tail against real files, the merge of several
entries, and Loki against a real HTTP server that answers as Loki does."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.servers.loki import LokiServer
from tests.timebase import T0
from tui.config.schema import LogConfig, LokiConfig
from tui.core.clock import FrozenClock
from tui.core.model import LogBatch
from tui.sources.base import SourceError
from tui.sources.logs.file import PARTIAL_POLLS, FileLogSource
from tui.sources.logs.lines import MAX_LINE_BYTES, guess_level, leading_time
from tui.sources.logs.loki import LokiLogSource
from tui.sources.logs.merge import MergedLogSource


def texts(batch: LogBatch) -> list[str]:
    return [line.text for line in batch.lines]


# ---- the level of a line -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "level"),
    [
        ('time=2026-11-23T03:00:00Z level=error msg="db down"', "error"),
        ("ts=1 lvl=warn caller=main.go:12", "warn"),
        ('{"level":"error","msg":"boom"}', "error"),
        ('{"severity": "WARNING", "message": "slow"}', "warn"),
        ('{"level":30,"msg":"pino says hi"}', "info"),
        ('{"level":50,"msg":"pino error"}', "error"),
        ('level=info msg="recovered from panic"', "info"),  # the field wins over words
        ("[ERROR] payment failed", "error"),
        ("2026-11-23 03:00:00 [warn] queue is long", "warn"),
        ("<debug> cache miss", "debug"),
        ("ERROR:root:connection lost", "error"),
        ("2026-11-23 03:00:00,123 WARNING celery.worker backlog 75", "warn"),
        ("2026-11-23 03:00:00 INFO  [main] started", "info"),
        ("3:00AM DBG cache warm", "debug"),
        ("3:00AM ERR failed to bind", "error"),
        ("E1123 03:00:00.123456       1 reflector.go:138] failed to list", "error"),
        ("W1123 03:00:00.123456       1 warnings.go:70] deprecated", "warn"),
        ("I1123 03:00:00.123456       1 main.go:10] serving", "info"),
        ("F1123 03:00:00.123456       1 main.go:10] cannot start", "error"),
        ("panic: runtime error: invalid memory address", "error"),
        ("fatal error: all goroutines are asleep - deadlock!", "error"),
        ("Traceback (most recent call last):", "error"),
        ("ValueError: invalid literal for int()", "error"),
        ("java.lang.IllegalStateException: closed", "error"),
        ("\x1b[31mERROR\x1b[0m card declined", "error"),  # colours do not hide the level
        ("npm ERR! code ELIFECYCLE", "error"),
        ("error: cannot open file", "error"),
        ("Warning: deprecated flag", "warn"),
        ("GET /api/errors 200 12ms", None),  # "errors" in a path is not a level
        ("the user said: no info here", None),
        ("", None),
        ("INFO " + "x" * 5_000_000, "info"),  # a huge line is scanned at its start only
    ],
)
def test_guess_level(line: str, level: str | None) -> None:
    assert guess_level(line) == level


def test_leading_time_needs_a_zone() -> None:
    assert leading_time("2026-11-23T03:00:01Z msg") == T0 + timedelta(seconds=1)
    assert leading_time("2026-11-23T05:00:01.5+02:00 msg") == T0 + timedelta(seconds=1.5)
    assert leading_time("[2026-11-23 03:00:01+0000] msg") == T0 + timedelta(seconds=1)
    assert leading_time("2026-11-23 03:00:01 msg") is None  # local time of some unknown host
    assert leading_time("no time here") is None


# ---- the file tail -------------------------------------------------------------------------------


def source(path: Path, **kw: object) -> FileLogSource:
    return FileLogSource(LogConfig(kind="file", path=str(path)), FrozenClock(T0), **kw)  # type: ignore[arg-type]


def append(path: Path, data: bytes) -> None:
    with open(path, "ab") as fh:
        fh.write(data)


async def test_first_poll_is_the_last_lines_then_only_what_was_appended(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_text("".join(f"line {i}\n" for i in range(1, 501)))
    src = source(path, backlog_lines=200)

    first = await src.poll()
    assert texts(first) == [f"line {i}" for i in range(301, 501)]
    assert {line.origin for line in first.lines} == {"app.log"}
    assert all(line.at is None for line in first.lines)  # the backlog's time is unknown

    assert texts(await src.poll()) == []
    append(path, b"line 501\nlevel=error msg=boom\n")
    second = await src.poll()
    assert texts(second) == ["line 501", "level=error msg=boom"]
    assert [line.at for line in second.lines] == [T0, T0]  # read now, by the source's clock
    assert second.lines[1].level == "error"
    assert texts(await src.poll()) == []
    await src.close()


async def test_backlog_reads_back_from_the_end_at_most_max_bytes(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    line = b"x" * 99 + b"\n"  # 100 bytes a line
    with open(path, "wb") as fh:
        for i in range(20_000):  # 2 MB: the tail must not read it whole
            fh.write(b"%05d" % i + line[5:])
    src = source(path, backlog_lines=200, max_bytes_per_poll=4_050)
    got = texts(await src.poll())
    # 4050 bytes hold 40 whole lines and a fragment, which is not shown.
    assert len(got) == 40
    assert got[0].startswith("19960") and got[-1].startswith("19999")
    assert all(len(t) == 99 for t in got)


async def test_a_file_with_a_leading_timestamp_gets_its_time(tmp_path: Path) -> None:
    path = tmp_path / "ts.log"
    path.write_text("2026-11-23T02:59:00Z started\nplain\n")
    src = source(path)
    batch = await src.poll()
    assert [line.at for line in batch.lines] == [T0 - timedelta(minutes=1), None]


async def test_partial_last_line_waits_for_its_newline_or_a_few_quiet_polls(tmp_path: Path) -> None:
    path = tmp_path / "p.log"
    path.write_text("done\nhalf")
    src = source(path)
    assert texts(await src.poll()) == ["done"]
    append(path, b" and the rest\nnext")
    assert texts(await src.poll()) == ["half and the rest"]
    shown: list[str] = []
    for _ in range(PARTIAL_POLLS):
        shown += texts(await src.poll())
    assert shown == ["next"]  # no newline came: shown as it is after a few quiet polls
    append(path, b" more\n")
    assert texts(await src.poll()) == [" more"]


async def test_max_bytes_per_poll_bounds_each_poll_and_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "burst.log"
    path.write_text("")
    src = source(path, max_bytes_per_poll=10_000)
    assert texts(await src.poll()) == []
    burst = [f"{i:04d} " + "y" * 94 for i in range(1000)]  # 100 bytes a line with its newline
    append(path, "".join(f"{t}\n" for t in burst).encode())
    got: list[str] = []
    polls = 0
    while len(got) < 1000 and polls < 50:
        batch = await src.poll()
        assert len(batch.lines) <= 100  # 10 000 bytes a poll at most
        got += texts(batch)
        polls += 1
    assert got == burst
    assert polls == 10


async def test_a_huge_line_is_cut_and_its_rest_skipped(tmp_path: Path) -> None:
    path = tmp_path / "huge.log"
    path.write_text("")
    src = source(path)
    await src.poll()
    size = 5 * 1024 * 1024
    append(path, b"before\n" + b"z" * size + b"\nafter\n")
    got: list[str] = []
    polls = 0
    while "after" not in got and polls < 40:
        batch = await src.poll()
        assert sum(len(t) for t in texts(batch)) < MAX_LINE_BYTES + 100  # never the whole line
        got += texts(batch)
        polls += 1
    assert got == ["before", "z" * MAX_LINE_BYTES + f"… [+{size - MAX_LINE_BYTES} bytes]", "after"]
    assert polls > size // (256 * 1024)  # read a bounded amount each poll


async def test_a_backlog_that_ends_inside_a_huge_line_skips_that_line(tmp_path: Path) -> None:
    path = tmp_path / "tail-in-line.log"
    path.write_bytes(b"start\n" + b"w" * 1_000_000)  # the last line is huge and not finished
    src = source(path, max_bytes_per_poll=64 * 1024)
    assert texts(await src.poll()) == []  # its start is not in reach: nothing of it is shown
    append(path, b"w" * 10 + b"\nnext\n")
    assert texts(await src.poll()) == ["next"]


async def test_binary_garbage_becomes_replacement_characters(tmp_path: Path) -> None:
    path = tmp_path / "bin.log"
    path.write_bytes(b"ok\n\xff\xfe\x00\x80bad\xc3\n" + bytes(range(256)).replace(b"\n", b"") + b"\n")
    src = source(path)
    got = texts(await src.poll())
    assert got[0] == "ok"
    assert got[1] == "\ufffd\ufffd\x00\ufffdbad\ufffd"
    assert len(got) == 3 and "\ufffd" in got[2]


async def test_escape_codes_stay_raw_for_the_panel_to_clean(tmp_path: Path) -> None:
    hostile = "\x1b]0;pwned\x07\x1b[2J\x1b[31mERROR\x1b[0m card declined \u202e evil"
    path = tmp_path / "esc.log"
    path.write_text(hostile + "\r\n")
    src = source(path)
    batch = await src.poll()
    assert texts(batch) == [hostile]  # CRLF's CR dropped, nothing else touched
    assert batch.lines[0].level == "error"


async def test_truncation_restarts_at_the_start(tmp_path: Path) -> None:
    path = tmp_path / "t.log"
    path.write_text("one\ntwo\nthree\n")
    src = source(path)
    assert texts(await src.poll()) == ["one", "two", "three"]
    with open(path, "wb") as fh:  # `> file`, or logrotate's copytruncate
        fh.write(b"new\n")
    assert texts(await src.poll()) == ["new"]
    append(path, b"newer\n")
    assert texts(await src.poll()) == ["newer"]


async def test_rotation_finishes_the_old_file_then_reads_the_new_one(tmp_path: Path) -> None:
    path = tmp_path / "r.log"
    path.write_text("a\n")
    src = source(path)
    assert texts(await src.poll()) == ["a"]
    append(path, b"last of old\nunfinished")
    path.rename(tmp_path / "r.log.1")  # logrotate's default: move, then create
    path.write_text("first of new\n")
    assert texts(await src.poll()) == ["last of old", "unfinished", "first of new"]
    append(path, b"second of new\n")
    assert texts(await src.poll()) == ["second of new"]


async def test_a_missing_file_is_an_error_until_it_appears(tmp_path: Path) -> None:
    path = tmp_path / "later.log"
    src = source(path)
    with pytest.raises(SourceError) as err:
        await src.poll()
    assert str(err.value) == f"{path}: No such file"
    path.write_text("hello\nworld\n")
    assert texts(await src.poll()) == ["hello", "world"]  # all of it is new
    path.unlink()
    with pytest.raises(SourceError, match="No such file"):
        await src.poll()
    path.write_text("back\n")
    assert texts(await src.poll()) == ["back"]


async def test_a_directory_or_a_missing_path_setting_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not a regular file"):
        await source(tmp_path).poll()
    no_path = FileLogSource(LogConfig(kind="file"), FrozenClock(T0))
    with pytest.raises(SourceError, match="needs a path"):
        await no_path.poll()


# ---- several entries, one panel ------------------------------------------------------------------


async def test_merged_keeps_going_when_one_part_fails_and_says_so_once(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.log", tmp_path / "bad.log"
    good.write_text("g1\n")
    clock = FrozenClock(T0)
    merged = MergedLogSource(
        [
            FileLogSource(LogConfig(kind="file", path=str(good)), clock),
            FileLogSource(LogConfig(kind="file", name="payments", path=str(bad)), clock),
        ],
        clock=clock,
    )
    first = await merged.poll()
    assert texts(first) == ["g1", f"payments: {bad}: No such file"]
    notice = first.lines[1]
    assert (notice.origin, notice.level, notice.at) == ("warroom", "warn", T0)

    append(good, b"g2\n")
    assert texts(await merged.poll()) == ["g2"]  # said once, not every poll

    bad.write_text("b1\n")
    recovered = await merged.poll()
    assert "b1" in texts(recovered)
    assert "payments: reading again" in texts(recovered)

    good.unlink()
    bad.unlink()
    with pytest.raises(SourceError) as err:
        await merged.poll()
    assert str(err.value) == f"good.log: {good}: No such file; payments: {bad}: No such file"
    good.write_text("g3\n")
    back = texts(await merged.poll())
    # The notices of the all-failing poll are not lost: they come with the next lines.
    assert back[0] == "g3" and f"good.log: {good}: No such file" in back and "good.log: reading again" in back
    await merged.close()


async def test_merged_orders_lines_by_time_keeping_each_parts_order(tmp_path: Path) -> None:
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    a.write_text("2026-11-23T03:00:01Z a1\nno time a\n2026-11-23T03:00:03Z a3\n")
    b.write_text("2026-11-23T03:00:02Z b2\n2026-11-23T03:00:04Z b4\n")
    clock = FrozenClock(T0)
    merged = MergedLogSource(
        [FileLogSource(LogConfig(kind="file", path=str(p)), clock) for p in (a, b)], clock=clock
    )
    got = texts(await merged.poll())
    assert got == [
        "2026-11-23T03:00:01Z a1",
        "no time a",  # stays after the line it followed
        "2026-11-23T03:00:02Z b2",
        "2026-11-23T03:00:03Z a3",
        "2026-11-23T03:00:04Z b4",
    ]
    assert merged.interval_s == 1.0


async def test_merged_turns_a_parts_bug_into_a_notice(tmp_path: Path) -> None:
    class Broken:
        name = "logs"
        label = "broken"
        interval_s = 2.0

        async def poll(self) -> LogBatch:
            raise RuntimeError("surprise")

        async def close(self) -> None:
            raise RuntimeError("and again")

    ok = tmp_path / "ok.log"
    ok.write_text("fine\n")
    merged = MergedLogSource([Broken(), FileLogSource(LogConfig(kind="file", path=str(ok)), FrozenClock(T0))])
    assert texts(await merged.poll())[0] == "fine"
    assert texts(await merged.poll()) == []
    await merged.close()  # one part's failing close does not stop the others'
    single = MergedLogSource([Broken()])
    with pytest.raises(SourceError, match=r"^RuntimeError: surprise$"):
        await single.poll()


# ---- Loki ----------------------------------------------------------------------------------------


def ns(at: datetime) -> int:
    return int((at - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(microseconds=1)) * 1000


@pytest.fixture
def loki() -> Iterator[LokiServer]:
    with LokiServer() as server:
        yield server


def loki_source(server: LokiServer, query: str = '{app="web"}', **kw: object) -> LokiLogSource:
    return LokiLogSource(
        LokiConfig(url=server.url, timeout_s=2.0),
        LogConfig(kind="loki", query=query),
        FrozenClock(T0),
        **kw,  # type: ignore[arg-type]
    )


async def test_loki_backlog_then_forward_from_the_last_entry(loki: LokiServer) -> None:
    for i in range(150):
        loki.push(
            {"app": "web", "pod": "web-1", "level": "info"}, ns(T0 - timedelta(seconds=300 - i)), f"a{i}"
        )
        loki.push(
            {"app": "web", "job": "shop/web"}, ns(T0 - timedelta(seconds=300 - i, milliseconds=500)), f"b{i}"
        )
    loki.push({"app": "other"}, ns(T0 - timedelta(seconds=1)), "not ours")
    loki.push({"app": "web", "pod": "web-1"}, ns(T0 - timedelta(hours=2)), "too old")
    src = loki_source(loki)

    first = await src.poll()
    assert len(first.lines) == 200  # the newest 200 of 300, oldest first
    assert [line.at for line in first.lines] == sorted(line.at for line in first.lines if line.at)
    assert first.lines[-1].text == "a149" and first.lines[0].text == "b50"
    assert {line.origin for line in first.lines} == {"web-1", "web"}  # the pod label, else app
    assert first.lines[-1].level == "info"  # from the stream's level label
    params = loki.seen[-1].params
    assert params["direction"] == "backward" and params["limit"] == "200"
    assert params["start"] == str(ns(T0 - timedelta(hours=1))) and params["query"] == '{app="web"}'

    last = ns(T0 - timedelta(seconds=151))
    loki.push({"app": "web", "pod": "web-2"}, ns(T0), "level=error msg=boom")
    second = await src.poll()
    assert texts(second) == ["level=error msg=boom"]
    assert second.lines[0].level == "error" and second.lines[0].at == T0
    params = loki.seen[-1].params
    assert params["direction"] == "forward" and params["start"] == str(last + 1)
    assert texts(await src.poll()) == []
    await src.close()


async def test_loki_limit_spreads_a_burst_over_polls_without_loss(loki: LokiServer) -> None:
    src = loki_source(loki, limit=2)
    assert texts(await src.poll()) == []
    for i in range(5):
        loki.push({"app": "web"}, ns(T0 + timedelta(seconds=i)), f"line {i}")
    batches = [await src.poll() for _ in range(4)]
    assert [texts(b) for b in batches] == [["line 0", "line 1"], ["line 2", "line 3"], ["line 4"], []]
    assert {line.origin for line in batches[0].lines} == {"web"}  # the app label
    assert [s.params["direction"] for s in loki.seen] == ["backward"] + ["forward"] * 4


async def test_loki_sends_the_bearer_token_from_its_file(loki: LokiServer, tmp_path: Path) -> None:
    token = tmp_path / "loki.token"
    token.write_text("s3cret\n")
    src = LokiLogSource(
        LokiConfig(url=loki.url + "/", bearer_token_file=str(token)),
        LogConfig(kind="loki", query='{app="web"}'),
        FrozenClock(T0),
    )
    await src.poll()
    assert loki.seen[-1].headers.get("authorization") == "Bearer s3cret"
    assert loki.seen[-1].path == "/loki/api/v1/query_range"
    token.unlink()
    with pytest.raises(SourceError, match=r"^Loki token file .*loki.token: no such file$"):
        await src.poll()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_loki_errors_are_one_line(loki: LokiServer) -> None:
    port = free_port()
    refused = LokiLogSource(LokiConfig(url=f"http://127.0.0.1:{port}"), LogConfig(kind="loki", query="{a}"))
    with pytest.raises(SourceError) as err:
        await refused.poll()
    assert str(err.value) == f"connection refused (127.0.0.1:{port})"

    with pytest.raises(SourceError) as err:
        await loki_source(loki, query="sum(").poll()
    assert (
        str(err.value) == "Loki HTTP 400: parse error at line 1, col 1: syntax error: unexpected IDENTIFIER"
    )

    src = loki_source(loki)
    loki.answer_with(200, b'{"status": "success", "data": {"resul', "application/json")
    with pytest.raises(SourceError, match="did not answer with Loki JSON"):
        await src.poll()
    loki.answer_with(200, b"<html>login</html>", "text/html")
    with pytest.raises(SourceError, match="did not answer with Loki JSON"):
        await src.poll()
    matrix = {"status": "success", "data": {"resultType": "matrix", "result": []}}
    loki.answer_with(200, json.dumps(matrix).encode(), "application/json")
    with pytest.raises(SourceError, match=r"^the Loki query returns matrix, not log lines$"):
        await src.poll()
    loki.answer_with(
        500, b'{"status":"error","error":"too many outstanding requests\\nretry"}', "application/json"
    )
    with pytest.raises(SourceError, match=r"^Loki HTTP 500: too many outstanding requests$"):
        await src.poll()
    loki.answer_with(401, b"")
    with pytest.raises(SourceError, match=r"^Loki HTTP 401: \(empty answer\)$"):
        await src.poll()

    loki.answer_normally()
    loki.push({"app": "web"}, ns(T0), "back")
    assert texts(await src.poll()) == ["back"]  # recovers on the next cycle
    await src.close()

    no_query = LokiLogSource(LokiConfig(url=loki.url), LogConfig(kind="loki"))
    with pytest.raises(SourceError, match="needs a query"):
        await no_query.poll()


async def test_loki_that_does_not_answer_in_time(loki: LokiServer) -> None:
    loki.delay_s = 1.0
    src = LokiLogSource(LokiConfig(url=loki.url, timeout_s=0.2), LogConfig(kind="loki", query='{app="web"}'))
    with pytest.raises(SourceError) as err:
        await src.poll()
    assert str(err.value) == f"no answer from {loki.url.removeprefix('http://')} in 0.2 s"
    await src.close()

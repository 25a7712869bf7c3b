"""What an action printed or answered, kept bounded: the last `MAX_OUTPUT` bytes of a command's
stdout+stderr (the end is where the error is), the first of an HTTP body. The dispatcher owns one
`Output` per run, so what a command printed before a timeout killed it is still recorded."""

from __future__ import annotations

MAX_OUTPUT = 4096  # bytes kept; the record and the notification need an excerpt, not a log


class Output:
    def __init__(self, limit: int = MAX_OUTPUT) -> None:
        self.limit = limit
        self._tail = bytearray()
        self.total = 0  # bytes written, including those no longer kept

    def write(self, data: bytes | str) -> None:
        """Append, keeping only the last `limit` bytes."""
        chunk = data.encode("utf-8", errors="replace") if isinstance(data, str) else data
        self.total += len(chunk)
        self._tail += chunk
        if len(self._tail) > self.limit:
            del self._tail[: len(self._tail) - self.limit]

    @property
    def dropped(self) -> int:
        return self.total - len(self._tail)

    def text(self) -> str:
        """The kept bytes as text (invalid UTF-8 shown as U+FFFD), saying how much was cut."""
        body = bytes(self._tail).decode("utf-8", errors="replace")
        if self.dropped:
            # A cut may fall inside a UTF-8 sequence: the replacement character marks it.
            return f"[… {self.dropped} bytes before this cut] {body}"
        return body

    def __bool__(self) -> bool:
        return self.total > 0


__all__ = ["MAX_OUTPUT", "Output"]

"""One loopback HTTP server that answers every path with 200 {"status": "ok"}, for the scale
benchmark's thousands of services. asyncio, no threads: at 2 000 checks a second it must cost
far less than the app it serves (a ThreadingHTTPServer would spend a core of its own). Prints its
port, then serves until killed. Every connection is closed after its answer, as the health
checks expect (they do not keep connections alive)."""

from __future__ import annotations

import asyncio
import json

BODY = json.dumps({"status": "ok"}).encode()
ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
    + str(len(BODY)).encode()
    + b"\r\nConnection: close\r\n\r\n"
    + BODY
)


class Health(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.seen = b""

    def data_received(self, data: bytes) -> None:
        self.seen += data
        if b"\r\n\r\n" in self.seen:  # the whole request head: answer and hang up
            self.transport.write(ANSWER)  # type: ignore[attr-defined]
            self.transport.close()


async def main() -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Health, "127.0.0.1", 0, backlog=4096)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())

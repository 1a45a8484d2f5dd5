"""Raw HTTP/1.1 over a socket, for requests a client library would normalise or refuse to send
(dot segments, encoded slashes, stalled bodies)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any


@dataclass
class RawResponse:
    """A parsed answer: status, headers (lower-case names) and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def parse(raw: bytes) -> RawResponse:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = body[: int(headers["content-length"])]
    return RawResponse(status, headers, body)


async def send(
    host: str, port: int, head: bytes, body_parts: tuple[bytes, ...] = (), *, limit_s: float = 20.0
) -> RawResponse:
    """Send `head` then each body part, and read the answer until the server closes or it is complete.

    `limit_s` only bounds a hung test; the tests never assert on elapsed time.
    """
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(head)
        for part in body_parts:
            writer.write(part)
        await writer.drain()
        raw = b""
        async with asyncio.timeout(limit_s):
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                raw += chunk
                if b"\r\n\r\n" in raw:
                    response = parse(raw)
                    if len(response.body) >= int(response.headers.get("content-length", "-1")):
                        return response
        return parse(raw)
    finally:
        writer.close()


def request(
    method: str,
    target: str,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    content_length: int | None = None,
) -> bytes:
    """The bytes of a request with `target` sent exactly as given."""
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body or content_length is not None:
        lines.append(f"Content-Length: {content_length if content_length is not None else len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

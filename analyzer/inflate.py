"""One home for decoding gzip and deflate bodies (a request's to the service, a target's answer to http_smoke).

What each accepts, as Python's gzip module does: a gzip body of several members one after another (RFC 1952),
zero bytes after a member (padding of a block-sized writer, which gzip.decompress and GNU gzip skip), and an
empty body (no stream at all: aiohttp's own decoder and httpx's read it as empty). Refused, each naming its
fault: a stream cut before its end marker, bytes that do not decode, anything else after the end marker.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any, Literal

# zlib's window bits for each Content-Encoding decoded (deflate's: chosen by its first two bytes, see `_wbits`).
WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
_GZIP_MAGIC = b"\x1f\x8b"

# "corrupt": bytes that do not decode; "cut": the stream ended before its end marker; "trailing": other bytes
# after the end marker.
Fault = Literal["corrupt", "cut", "trailing"]


class Inflater:
    """Decodes one gzip or deflate body fed in chunks, each chunk's output bounded by the caller's room (so a gzip
    bomb costs at most that room); every fault becomes the exception `fault` makes of its name."""

    def __init__(self, encoding: str, fault: Callable[[Fault], Exception]) -> None:
        """`encoding` is a key of WBITS (lower case)."""
        self.encoding = encoding
        self._fault = fault
        self._decoder: Any = None
        # The first bytes of a deflate body, until its two-byte header tells zlib-wrapped from raw deflate.
        self._head = b""

    def feed(self, chunk: bytes, room: int) -> bytes:
        """The bytes `chunk` decodes to, at most `room` + 1 (one past the room tells the caller it is over it)."""
        if self._decoder is None:
            self._head += chunk
            if self.encoding == "deflate" and len(self._head) < 2:
                return b""
            chunk, self._head = self._head, b""
            if not chunk:
                return b""
            self._decoder = zlib.decompressobj(self._wbits(chunk))
        out = bytearray()
        while chunk:
            # After an end marker (zero padding after one leaves it the decoder): what follows is checked.
            if self._decoder.eof:
                chunk = self._after_end(chunk)
                if not chunk:
                    break
            try:
                out += self._decoder.decompress(chunk, room - len(out) + 1)
            except zlib.error:
                raise self._fault("corrupt") from None
            if len(out) > room or not self._decoder.eof:
                # Over the room (the rest is not decoded), or every byte taken with the stream still open.
                break
            chunk = self._decoder.unused_data
        return bytes(out)

    def finish(self, room: int) -> bytes:
        """The wire ended: decode what a deflate body too short for its header left, and refuse a stream that
        stopped before its end marker (a cut body must never be read as whole). An empty body is empty."""
        out = b""
        if self._head:
            head, self._head = self._head, b""
            self._decoder = zlib.decompressobj(self._wbits(head))
            out = self.feed(head, room)
        if self._decoder is not None and not self._decoder.eof:
            raise self._fault("cut")
        return out

    def _after_end(self, chunk: bytes) -> bytes:
        """What of `chunk` (read after an end marker) starts the next gzip member: zero padding skipped."""
        if self.encoding == "deflate":
            # deflate has no members and no padding: anything after its end is not its.
            raise self._fault("trailing")
        # Zero bytes after a gzip member: skipped; only a new member's magic or the end may follow them.
        rest = chunk.lstrip(b"\x00")
        if rest and not _GZIP_MAGIC.startswith(rest[:2]):
            raise self._fault("trailing")
        if rest:
            self._decoder = zlib.decompressobj(WBITS["gzip"])
        return rest

    def _wbits(self, head: bytes) -> int:
        if self.encoding != "deflate":
            return WBITS[self.encoding]
        # RFC 9110 deflate is zlib-wrapped; some peers send raw deflate. A zlib header has compression method 8
        # and a check value that makes the first two bytes a multiple of 31.
        wrapped = len(head) >= 2 and head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0
        return zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS

"""analyzer.inflate: one decoder for gzip and deflate bodies, fed in chunks, bounded by the caller's room."""

from __future__ import annotations

import gzip
import zlib

import pytest

from analyzer.inflate import Inflater


class Fault(Exception):
    """The fault an Inflater reported, by its name."""


def inflated(encoding: str, chunks: list[bytes], room: int = 1 << 20) -> bytes:
    inflater = Inflater(encoding, Fault)
    out = b"".join(inflater.feed(chunk, room) for chunk in chunks)
    return out + inflater.finish(room)


class TestWhatIsAccepted:
    """What Python's gzip module accepts is accepted: members, zero padding after any, an empty body."""

    @pytest.mark.parametrize(
        "body",
        [
            gzip.compress(b"ab") + bytes(100),
            gzip.compress(b"a") + bytes(2) + gzip.compress(b"b"),
            gzip.compress(b"a") + gzip.compress(b"b") + bytes(1),
        ],
        ids=["padded", "padding-between-members", "members-then-padding"],
    )
    def test_gzip_as_pythons_gzip_module_reads_it(self, body):
        assert inflated("gzip", [body]) == gzip.decompress(body) == b"ab"
        assert inflated("gzip", [body[i : i + 1] for i in range(len(body))]) == b"ab"

    @pytest.mark.parametrize("encoding", ["gzip", "x-gzip", "deflate"])
    def test_an_empty_body_is_empty(self, encoding):
        assert inflated(encoding, [b""]) == b""
        assert inflated(encoding, []) == b""


class TestFaults:
    """A cut, corrupt or trailing body is the fault named, never a prefix read as whole."""

    @pytest.mark.parametrize(
        ("encoding", "body", "fault"),
        [
            ("gzip", gzip.compress(b"ab")[:-3], "cut"),
            ("gzip", gzip.compress(b"ab") + bytes(3) + b"\x1f", "cut"),
            ("deflate", zlib.compress(b"ab")[:1], "cut"),
            ("gzip", b"not gzip", "corrupt"),
            ("gzip", gzip.compress(b"ab") + bytes(3) + b"x", "trailing"),
            # deflate has no members and no padding.
            ("deflate", zlib.compress(b"ab") + bytes(1), "trailing"),
        ],
    )
    def test_the_fault_is_named(self, encoding, body, fault):
        with pytest.raises(Fault) as raised:
            inflated(encoding, [body])
        assert raised.value.args == (fault,)


class TestRoom:
    """Each feed decodes at most one byte past its room, so a bomb costs the room, whatever it expands to."""

    def test_a_bomb_stops_one_byte_past_the_room(self):
        inflater = Inflater("gzip", Fault)
        assert len(inflater.feed(gzip.compress(bytes(10_000_000)), 1000)) == 1001

    def test_members_share_the_room(self):
        inflater = Inflater("gzip", Fault)
        assert inflater.feed(gzip.compress(b"abc") + gzip.compress(b"def"), 4) == b"abcde"

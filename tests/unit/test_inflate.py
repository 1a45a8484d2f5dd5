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

    @pytest.mark.parametrize(
        "body",
        [
            zlib.compress(b"ab"),
            zlib.compress(b"ab", wbits=-zlib.MAX_WBITS),
            # Raw, its first nibble zlib's method 8 (a stored block whose padding bits are not zero): the check
            # value, not a multiple of 31, tells it from a zlib header.
            b"\x08\x02\x00\xfd\xffab\x03\x00",
        ],
        ids=["zlib-wrapped", "raw", "raw-with-method-nibble"],
    )
    def test_deflate_wrapped_or_raw(self, body):
        # RFC 9110's deflate is zlib-wrapped; some peers send it raw: its first two bytes tell which.
        assert inflated("deflate", [body]) == b"ab"
        assert inflated("deflate", [body[i : i + 1] for i in range(len(body))]) == b"ab"

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

    def test_a_member_that_passes_the_room_leaves_the_next_undecoded(self):
        # Past the room at its end marker, the next member would be decoded with no bound left (zlib reads a
        # max_length of 0 as none).
        inflater = Inflater("gzip", Fault)
        assert inflater.feed(gzip.compress(b"hello") + gzip.compress(bytes(10_000_000)), 4) == b"hello"

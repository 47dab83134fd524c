"""Content-Encoding decoding with a hard output limit, so a compression bomb never inflates in memory."""

from __future__ import annotations

import zlib
from collections.abc import Callable

import brotli  # type: ignore[import-untyped]

SUPPORTED = frozenset({"gzip", "x-gzip", "deflate", "br", "identity"})


class TooLarge(Exception):
    """The decoded body passed the limit."""


class DecodeFailed(Exception):
    """The body is not valid for its Content-Encoding."""


class BoundedDecoder:
    """Decode one Content-Encoding incrementally, producing at most ``limit`` bytes in total."""

    def __init__(self, encoding: str, limit: int) -> None:
        self.limit = limit
        self.total = 0
        self._encoding = encoding
        self._step = self._make_step(encoding)

    @staticmethod
    def supports(header: str) -> bool:
        """Whether a Content-Encoding header names exactly one encoding we decode ourselves."""
        parts = [part.strip().lower() for part in header.split(",") if part.strip()]
        return len(parts) <= 1 and all(part in SUPPORTED for part in parts)

    def decode(self, data: bytes) -> bytes:
        """Return the decoded bytes for one raw chunk; raise TooLarge past the limit, DecodeFailed on bad data."""
        room = self.limit - self.total + 1
        try:
            piece = self._step(data, room)
        except (zlib.error, brotli.error) as exc:
            raise DecodeFailed(f"invalid {self._encoding} data: {exc}") from exc
        self.total += len(piece)
        if self.total > self.limit:
            raise TooLarge(f"body over {self.limit} bytes after decompression")
        return piece

    def _make_step(self, encoding: str) -> Callable[[bytes, int], bytes]:
        name = encoding.strip().lower()
        if name in ("gzip", "x-gzip"):
            return self._zlib_step(zlib.decompressobj(16 + zlib.MAX_WBITS))
        if name == "deflate":
            return self._deflate_step()
        if name == "br":
            decompressor = brotli.Decompressor()
            return lambda data, room: bytes(decompressor.process(data, output_buffer_limit=room))
        return lambda data, room: data

    @staticmethod
    def _zlib_step(decompressor: zlib._Decompress) -> Callable[[bytes, int], bytes]:
        # With max_length, output shorter than the room means all input was consumed.
        return lambda data, room: decompressor.decompress(data, room)

    def _deflate_step(self) -> Callable[[bytes, int], bytes]:
        # "deflate" is zlib-wrapped by the spec but raw deflate from some servers; decide on the first chunk.
        state: dict[str, zlib._Decompress] = {}

        def step(data: bytes, room: int) -> bytes:
            if "d" not in state:
                try:
                    probe = zlib.decompressobj()
                    out = probe.decompress(data, room)
                    state["d"] = probe
                    return out
                except zlib.error:
                    state["d"] = zlib.decompressobj(-zlib.MAX_WBITS)
            return state["d"].decompress(data, room)

        return step

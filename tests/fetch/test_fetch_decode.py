"""The bounded Content-Encoding decoder: bombs stop at the cap, valid bodies round-trip."""

from __future__ import annotations

import gzip
import zlib

import brotli  # type: ignore[import-untyped]
import httpx
import pytest
from fetch_server import FeedServer, Reply

from monitor.errors import FetchError
from monitor.fetch import Validators, build_client, fetch_feed
from monitor.fetch.decode import BoundedDecoder, DecodeFailed, TooLarge

TEXT = b"<rss><channel><title>Invented</title></channel></rss>" * 200


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("encoding", "encoded"),
    [
        ("gzip", gzip.compress(TEXT)),
        ("x-gzip", gzip.compress(TEXT)),
        ("deflate", zlib.compress(TEXT)),
        ("deflate", raw_deflate(TEXT)),
        ("br", brotli.compress(TEXT)),
        ("identity", TEXT),
        ("", TEXT),
    ],
)
def test_round_trip_in_small_chunks(encoding: str, encoded: bytes) -> None:
    decoder = BoundedDecoder(encoding, limit=len(TEXT))
    out = b"".join(decoder.decode(encoded[i : i + 100]) for i in range(0, len(encoded), 100))
    assert out == TEXT


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_bomb_stops_at_the_limit_without_inflating(encoding: str) -> None:
    payload = b"\0" * 50_000_000
    bomb = gzip.compress(payload) if encoding == "gzip" else brotli.compress(payload)
    decoder = BoundedDecoder(encoding, limit=100_000)
    with pytest.raises(TooLarge):
        decoder.decode(bomb)
    assert decoder.total < 1_000_000  # stopped near the cap (brotli overshoots a little), not at 50 MB


def test_invalid_data_fails_cleanly() -> None:
    with pytest.raises(DecodeFailed):
        BoundedDecoder("gzip", limit=1000).decode(b"this is not gzip at all")


@pytest.mark.parametrize(
    ("header", "ok"), [("gzip", True), ("br", True), ("", True), ("zstd", False), ("gzip, br", False)]
)
def test_supports(header: str, ok: bool) -> None:
    assert BoundedDecoder.supports(header) is ok


@pytest.mark.anyio
async def test_corrupt_gzip_body_is_a_decode_error(server: FeedServer) -> None:
    server.routes["/feed"] = Reply(200, {"Content-Encoding": "gzip"}, b"\x1f\x8b\x08\x00garbage-not-gzip")
    async with build_client(user_agent="t", timeout=1, concurrency=2) as client:
        with pytest.raises(FetchError) as info:
            await fetch_feed(client, server.url("/feed"), validators=Validators(), max_bytes=1000)
    assert info.value.reason == "decode"


@pytest.mark.anyio
async def test_brotli_bomb_over_http_is_too_large(server: FeedServer) -> None:
    server.routes["/feed"] = Reply(200, {"Content-Encoding": "br"}, brotli.compress(b"\0" * 20_000_000))
    client: httpx.AsyncClient
    async with build_client(user_agent="t", timeout=1, concurrency=2) as client:
        with pytest.raises(FetchError) as info:
            await fetch_feed(client, server.url("/feed"), validators=Validators(), max_bytes=1_000_000)
    assert info.value.reason == "too_large"

"""The body of a response as the content options see it: decoded, bounded, as text.

Domain model: what a server sends after its header fields. The body may come in a content
coding (``Content-Encoding: gzip``): the check asks for none (``identity``) unless
``--compressed`` asks for gzip, but a server may compress all the same. gzip and deflate
are decoded as the bytes arrive, in pieces of bounded size, so that a small compressed
body that expands to gigabytes (a "zip bomb") costs neither memory nor more than
``MAX_DECODED`` bytes of work. The body's size is then the decoded one; the size on the
wire is kept beside it. Only the first ``keep`` decoded bytes are kept, for -s and -r.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False  # mypy reads it as true; importing typing costs start-up time
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

# -s and -r look at this much of the (decoded) body; the size counts every byte.
BODY_MATCH_LIMIT = 4 * 1024 * 1024
# Past this many decoded bytes a compressed body is a failure, not a document.
MAX_DECODED = 256 * 1024 * 1024
# Decoded output is produced at most this much at a time.
PIECE = 64 * 1024
DECODABLE = frozenset({"gzip", "x-gzip", "deflate"})


class UndecodableBody(ValueError):
    """The body is in a content coding this check cannot decode, or does not decode."""


def codings(content_encoding: list[str]) -> list[str]:
    """The content codings of the body, in the order they were applied (identity dropped)."""
    return [
        coding.strip().lower()
        for value in content_encoding
        for coding in value.split(",")
        if coding.strip() and coding.strip().lower() != "identity"
    ]


class _Inflater:
    """One gzip or deflate layer, decoded lazily in pieces of at most ``PIECE`` bytes."""

    def __init__(self) -> None:
        import zlib  # only for a compressed body

        self.zlib = zlib
        # wbits 47 reads a gzip or a zlib header; raw deflate (a common server mistake)
        # is tried when neither is there.
        self.obj = zlib.decompressobj(47)
        self.started = False

    def decode(self, pieces: Iterable[bytes]) -> Iterator[bytes]:
        """The decoded bytes of ``pieces``, produced as they are consumed."""
        for data in pieces:
            if data and not self.started:
                self.started = True
                try:
                    yield self.obj.decompress(data, PIECE)
                except self.zlib.error:
                    self.obj = self.zlib.decompressobj(-15)
                    yield self.obj.decompress(data, PIECE)
                data = self.obj.unconsumed_tail
            while data:
                yield self.obj.decompress(data, PIECE)
                data = self.obj.unconsumed_tail

    def drain(self, pieces: Iterable[bytes]) -> Iterator[bytes]:
        """As ``decode``, then what the decoder still holds at the end of the body."""
        yield from self.decode(pieces)
        yield self.obj.flush()


class Body:
    """Takes the body's bytes as they arrive; counts, decodes and keeps the first part.

    ``size`` is the decoded size (what -m judges), ``wire_size`` the bytes received,
    ``coding`` the codings decoded (``gzip``) or "" for a body sent as it is.
    ``decodable`` is False for a coding this check does not know (br, zstd): such a body
    is counted and kept as received.
    """

    def __init__(self, applied: list[str], keep: int) -> None:
        self.keep = keep
        self.kept: list[bytes] = []
        self.kept_size = 0
        self.size = 0
        self.wire_size = 0
        self.coding = ", ".join(applied)
        self.decodable = all(coding in DECODABLE for coding in applied)
        # Decoded in the reverse of the order the codings were applied.
        self._stages = [_Inflater() for _ in applied] if self.decodable else []

    @property
    def decoded(self) -> bool:
        """True when the body came in a content coding and was decoded."""
        return bool(self._stages)

    def feed(self, data: bytes) -> None:
        """The next bytes as received; raises UndecodableBody when they do not decode."""
        self.wire_size += len(data)
        pieces: Iterable[bytes] = (data,)
        for stage in self._stages:
            pieces = stage.decode(pieces)
        self._take_all(pieces)

    def finish(self) -> None:
        """The body has ended: whatever the decoders still hold comes out."""
        pieces: Iterable[bytes] = ()
        for stage in self._stages:
            pieces = stage.drain(pieces)
        self._take_all(pieces)

    def _take_all(self, pieces: Iterable[bytes]) -> None:
        undecodable = self._stages[0].zlib.error if self._stages else ()
        try:
            for piece in pieces:
                self.size += len(piece)
                if self.size > MAX_DECODED:
                    raise UndecodableBody(
                        f"the {self.coding} body decodes to more than {MAX_DECODED // 2**20} MiB"
                    )
                if self.kept_size < self.keep and piece:
                    self.kept.append(piece[: self.keep - self.kept_size])
                    self.kept_size += len(self.kept[-1])
        except undecodable as exc:
            raise UndecodableBody(f"the {self.coding} body does not decode: {exc}") from None

    def content(self) -> bytes:
        """The kept part of the body, decoded."""
        return b"".join(self.kept)


def text(content: bytes, content_type: str | None) -> str:
    """``content`` as text, in the charset the server announced (UTF-8 otherwise)."""
    charset = "utf-8"
    match = re.search(r"charset=([\w.:-]+)", content_type or "", re.I)
    if match:
        charset = match.group(1)
    try:
        return content.decode(charset, "replace")
    except LookupError:
        return content.decode("utf-8", "replace")

"""Reading a response body within a size bound, decompressing it ourselves.

httpx inflates each compressed chunk in one go, so a 64 KB gzip chunk of zeros becomes
~64 MB before anyone can count it (a 200 KB body inflated the CLI to 490 MB). Here the raw
bytes go through zlib with `max_length`, so no more than the bound (plus one chunk) is
ever held, and the body is refused as soon as it would pass the bound.
"""

from __future__ import annotations

import zlib

from stm_tui.api.errors import BadResponse

# The encodings we ask for (`accept-encoding`) and can therefore decode.
ACCEPT_ENCODING = "gzip, deflate"

_CHUNK = 64 * 1024


class BodyTooLarge(BadResponse):
    """The (decompressed) body passed the configured size bound."""


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else f"{n} bytes"


class BoundedBody:
    """Collects a body of at most `limit` decoded bytes. `feed` raw chunks, then `finish`."""

    def __init__(self, content_encoding: str | None, limit: int, where: str) -> None:
        self.limit = limit
        self.where = where
        self._parts: list[bytes] = []
        self._size = 0
        encodings = [e.strip().lower() for e in (content_encoding or "").split(",") if e.strip()]
        encodings = [e for e in encodings if e != "identity"]
        if len(encodings) > 1 or (encodings and encodings[0] not in ("gzip", "x-gzip", "deflate")):
            raise BadResponse(f"response uses an encoding we did not ask for ({where})")
        self._encoding = encodings[0] if encodings else None
        self._inflater = self._new_inflater()
        self._deflate_raw = False

    def _new_inflater(self) -> zlib._Decompress | None:
        if self._encoding in ("gzip", "x-gzip"):
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        if self._encoding == "deflate":
            return zlib.decompressobj()
        return None

    def _keep(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > self.limit:
            self._parts.clear()
            raise BodyTooLarge(
                f"response body larger than the {_megabytes(self.limit)} limit ({self.where}); "
                "raise max_response_mb in the profile if this is expected"
            )
        if data:
            self._parts.append(data)

    def feed(self, raw: bytes) -> None:
        if self._inflater is None:
            self._keep(raw)
            return
        self._inflate(raw)

    def _inflate(self, data: bytes) -> None:
        while self._inflater is not None:
            # Never more than the room left (+1 to notice the overflow) per call; what zlib
            # could not hand out yet stays in `unconsumed_tail` or its own state.
            room = max(1, min(_CHUNK, self.limit - self._size + 1))
            try:
                out = self._inflater.decompress(data, room)
            except zlib.error:
                if self._encoding == "deflate" and not self._deflate_raw and self._size == 0:
                    # Some servers send raw deflate (no zlib header) as `deflate`.
                    self._deflate_raw = True
                    self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise BadResponse(
                    f"response body is not valid {self._encoding} ({self.where})"
                ) from None
            self._keep(out)
            if self._inflater.eof:
                rest = self._inflater.unused_data
                if not rest.strip(b"\0"):
                    return
                self._inflater = self._new_inflater()  # another gzip member follows
                data = rest
                continue
            data = self._inflater.unconsumed_tail
            if not data and len(out) < room:
                return

    def finish(self) -> bytes:
        if self._inflater is not None and not self._inflater.eof:
            self._inflate(b"")
        return b"".join(self._parts)

"""SHA-256 for every hash schemashift takes, without OpenSSL.

The built-in SHA-256 avoids loading OpenSSL through hashlib, which costs more than the
rest of `migrate --status` put together. This module imports nothing of schemashift, so
any package may use it.
"""

from __future__ import annotations

try:
    from _sha2 import sha256 as _sha256  # type: ignore[import-not-found,unused-ignore]
except ImportError:
    try:
        from _sha256 import sha256 as _sha256  # type: ignore[import-not-found,no-redef,unused-ignore]
    except ImportError:
        from hashlib import sha256 as _sha256  # type: ignore[assignment,unused-ignore]

#: SHA-256 without OpenSSL.
sha256 = _sha256


def checksum_of(data: bytes) -> str:
    """The tracking table's checksum of a file's bytes: lowercase hex SHA-256, with CRLF
    turned into LF."""
    return str(_sha256(data.replace(b"\r\n", b"\n")).hexdigest())

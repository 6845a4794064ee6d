"""The v3 trade bill (交易账单): ask for a download URL, fetch the file, check its SHA1.

The file is the same backtick CSV as v2's bill (channels.wechat.bill parses it), gzip
compressed when asked; the hash WeChat gives is over the uncompressed bill, so a file
that arrives damaged or swapped is refused rather than reconciled.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
from typing import Any

from channels.base import ChannelRejected


def unpacked_bill(data: bytes, answer: dict[str, Any], *, gzipped: bool) -> str:
    if gzipped:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise ChannelRejected("the trade bill is not valid gzip") from exc
    if answer.get("hash_type") != "SHA1" or not isinstance(answer.get("hash_value"), str):
        raise ChannelRejected("the trade bill answer has no SHA1 hash")
    if not hmac.compare_digest(hashlib.sha1(data).hexdigest(), answer["hash_value"].lower()):
        raise ChannelRejected("the trade bill does not match its SHA1 hash")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ChannelRejected("the trade bill is not UTF-8") from exc

"""The charsets an import file may declare, and the codec each is read with."""

from __future__ import annotations

from services.common.errors import Problem

# Declared charsets → Python codecs. Big5 files from Windows are in fact code
# page 950, its superset: decoding them as strict Big5 would refuse common
# characters (e.g. 碁, 銹) that personnel offices' exports contain.
CHARSETS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "us-ascii": "utf-8",
    "big5": "cp950",
    "x-big5": "cp950",
    "cp950": "cp950",
    "big5-hkscs": "big5hkscs",
}


class UnsupportedCharset(Problem):
    def __init__(self, charset: str) -> None:
        super().__init__(
            f"charset {charset!r} is not accepted; send UTF-8 or Big5",
            status=415,
            slug="unsupported-media-type",
            title="Unsupported media type",
        )


def declared_charset(content_type: str | None) -> str:
    """The `charset` parameter of a Content-Type, lower-cased; UTF-8 if none."""
    charset = "utf-8"
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return charset


def codec_for(content_type: str | None) -> str:
    """The codec to decode the body with; 415 for a charset not accepted."""
    charset = declared_charset(content_type)
    if charset not in CHARSETS:
        raise UnsupportedCharset(charset)
    return CHARSETS[charset]

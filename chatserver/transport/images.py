"""Image type by content, never by file name or declared type.

Signatures: JPEG (FF D8 FF, JFIF/Exif), PNG (RFC 2083 8-byte signature),
GIF87a/89a, WebP (RIFF....WEBP), HEIC/HEIF (ISO BMFF ``ftyp`` box with a
heic/heix/mif1 brand: what phone cameras produce).
"""

from __future__ import annotations


def sniff_image(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1"):
        return "image/heic"
    return None

"""Screenshots for the showcase tests, made by Pillow from a seeded generator (random.Random(42))."""

from __future__ import annotations

import io
import random

from PIL import Image


def screenshot_png(width: int = 64, height: int = 40, seed: int = 42) -> bytes:
    """A small PNG of random pixels."""
    rng = random.Random(seed)
    image = Image.new("RGB", (width, height))
    image.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(width * height)])
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def photo_jpeg_with_gps() -> bytes:
    """A JPEG whose EXIF holds a GPS position (what a phone photo carries)."""
    image = Image.new("RGB", (48, 32), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (30.0, 15.0, 0.0), 3: "E", 4: (120.0, 10.0, 0.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def pixel_bomb_png(side: int = 7000) -> bytes:
    """A tiny PNG file that decodes to side × side pixels (49 million by default)."""
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, "PNG", optimize=True)
    return out.getvalue()

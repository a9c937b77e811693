"""A reuse showcase submission (应用成果), checked before anything is stored.

A showcase is an app, an analysis or a visualisation built on the catalogue's datasets: its title,
description, the http(s) address where it lives, its kind, its author (an e-mail address for the
moderators only) and the datasets it uses. :func:`check_submission` returns every problem at once,
each naming its field. A screenshot is recognised by its content (PNG, JPEG or WebP, decoded in full
by Pillow), bounded in bytes and pixels before it is decoded, and written again without its
metadata (a photo's EXIF can carry the place it was taken) by :func:`clean_screenshot`.
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
from dataclasses import dataclass
from urllib.parse import urlsplit

from opendata.core.errors import Problem, ValidationError
from opendata.core.textcheck import email_problem, text_problem, url_problem

KINDS = {"app": ("应用", "App"), "analysis": ("分析", "Analysis"), "visualization": ("可视化", "Visualisation"),
         "other": ("其他", "Other")}
STATES = ("pending", "published", "rejected", "withdrawn")
STATE_NAMES = {"pending": ("待审核", "Awaiting moderation"), "published": ("已发布", "Published"),
               "rejected": ("未通过", "Rejected"), "withdrawn": ("已撤下", "Withdrawn")}
MAX_TITLE, MAX_DESCRIPTION, MAX_URL, MAX_AUTHOR, MAX_DATASETS = 200, 5000, 2000, 200, 50
IMAGE_FORMATS = {"PNG": ("image/png", ".png"), "JPEG": ("image/jpeg", ".jpg"), "WEBP": ("image/webp", ".webp")}
MAX_PIXELS = 40_000_000  # a 4K screenshot is 8.3 million; more is a decompression bomb, not a screenshot
MAX_SIDE = 10_000
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{1,99}")
_REFUSED_SCHEMES = ("javascript", "data", "vbscript", "file")


class ScreenshotTooLargeError(ValidationError):
    """A screenshot over OPENDATA_SHOWCASE_SCREENSHOT_MAX_BYTES (413, naming the field)."""

    code = "screenshot-too-large"


@dataclass(frozen=True)
class Submission:
    """A checked submission: trimmed texts, the address, the kind and the dataset identifiers (in order)."""

    title: str
    description: str
    url: str
    kind: str
    author: str
    author_email: str | None
    datasets: tuple[str, ...]
    name: str | None = None


@dataclass(frozen=True)
class Screenshot:
    """A screenshot as it will be stored: re-encoded bytes, their media type, suffix and size in pixels."""

    data: bytes
    media_type: str
    suffix: str
    width: int
    height: int


def check_submission(form: dict[str, object]) -> Submission:
    """The checked submission; a ValidationError naming every field that is missing or wrong."""
    problems: list[Problem] = []

    def text(name: str, limit: int, *, required: bool = True, multiline: bool = False) -> str | None:
        value = form.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                problems.append(Problem("required", f"{name} is required", path=name))
            return None
        if not isinstance(value, str):
            problems.append(Problem("invalid", f"{name} must be text", path=name))
            return None
        value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").strip())
        if len(value) > limit:
            problems.append(Problem("too-long", f"{name} has {len(value)} characters; at most {limit} are "
                                                "accepted", path=name))
        elif (problem := text_problem(value, multiline=multiline, bidi=False)) is not None:
            problems.append(Problem("control-character", f"{name} {problem}", path=name))
        return value

    unknown = sorted(set(form) - {"title", "description", "url", "kind", "author", "author_email", "datasets",
                                  "name"})
    for key in unknown:
        problems.append(Problem("unknown-field", f"{key} is not a showcase field", path=str(key)[:100]))
    title = text("title", MAX_TITLE)
    description = text("description", MAX_DESCRIPTION, multiline=True)
    url = text("url", MAX_URL)
    if url is not None and (problem := showcase_url_problem(url)) is not None:
        problems.append(Problem("invalid-url", f"url {problem}", path="url"))
    kind = text("kind", 20, required=False) or "app"
    if kind not in KINDS:
        problems.append(Problem("invalid", f"kind must be one of {', '.join(KINDS)}", path="kind"))
    author = text("author", MAX_AUTHOR)
    email = text("author_email", 254, required=False)
    if email is not None and (problem := email_problem(email)) is not None:
        problems.append(Problem("invalid-email", f"author_email {problem}", path="author_email"))
    name = text("name", 100, required=False)
    if name is not None and not _NAME.fullmatch(name):
        problems.append(Problem("invalid", "name must be 2 to 100 lowercase letters, digits, '-' or '_', starting "
                                           "with a letter or digit", path="name"))
    datasets = _dataset_ids(form.get("datasets"), problems)
    if problems:
        raise ValidationError(f"the showcase cannot be accepted: {problems[0].message}", problems=problems)
    return Submission(title=title or "", description=description or "", url=url or "", kind=kind,
                      author=author or "", author_email=email, datasets=datasets, name=name)


def showcase_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a showcase's address (only http and https, no credentials), or None."""
    scheme = urlsplit(url.strip()).scheme.lower() if ":" in url else ""
    if scheme in _REFUSED_SCHEMES:
        return f"uses the {scheme}: scheme, which is refused: give the http:// or https:// address of the showcase"
    if (problem := url_problem(url)) is not None:
        return problem
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        return "must not carry a user name or password"
    return None


def _dataset_ids(value: object, problems: list[Problem]) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v for v in (part.strip() for part in value.split(",")) if v]
    if not value:
        problems.append(Problem("required", "datasets is required: the identifiers of the datasets the showcase "
                                            "uses", path="datasets"))
        return ()
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        problems.append(Problem("invalid", "datasets must be a list of dataset identifiers", path="datasets"))
        return ()
    unique = tuple(dict.fromkeys(v.strip() for v in value if v.strip()))
    if len(unique) > MAX_DATASETS:
        problems.append(Problem("too-many", f"datasets names {len(unique)} datasets; at most {MAX_DATASETS} are "
                                            "accepted", path="datasets"))
    for position, identifier in enumerate(unique):
        if len(identifier) > 100 or text_problem(identifier) is not None:
            problems.append(Problem("invalid", f"datasets/{position} is not a dataset identifier",
                                    path=f"datasets/{position}"))
    return unique


def screenshot_problem(code: str, message: str) -> ValidationError:
    """A ValidationError naming the screenshot field."""
    return ValidationError(f"screenshot: {message}", problems=[Problem(code, message, path="screenshot")])


def clean_screenshot(data: bytes, *, max_bytes: int) -> Screenshot:
    """The screenshot decoded by Pillow and written again without metadata; a ValidationError naming
    ``screenshot`` when it is empty, too large, not a PNG, JPEG or WebP image, or broken."""
    from PIL import (  # imported here: only submissions need an image library
        Image,
        UnidentifiedImageError,
    )

    if not data:
        raise screenshot_problem("empty-file", "the file is empty")
    if len(data) > max_bytes:
        raise ScreenshotTooLargeError(f"screenshot: larger than {max_bytes:,} bytes", problems=[Problem(
            "file-too-large", f"the file has more than {max_bytes:,} bytes, the most accepted", path="screenshot")])
    kind = "image"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(IMAGE_FORMATS)) as probe:
                kind, (width, height) = probe.format, probe.size
                if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
                    raise screenshot_problem("image-too-large", f"the image is {width} × {height} pixels; at most "
                                                                f"{MAX_PIXELS:,} pixels and {MAX_SIDE:,} on a side")
                probe.load()  # decodes every pixel: a truncated or corrupt file fails here
                image = probe.copy()
    except UnidentifiedImageError:
        raise screenshot_problem("not-an-image", "the content is not a PNG, JPEG or WebP image") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise screenshot_problem("image-too-large", "the image has too many pixels for a screenshot") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise screenshot_problem("broken-image", f"the {kind} cannot be decoded: {exc}") from None
    media_type, suffix = IMAGE_FORMATS[kind]
    out = io.BytesIO()
    if kind == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=90, optimize=True)
    elif kind == "WEBP":
        image.save(out, "WEBP", quality=90)
    else:
        image.save(out, "PNG", optimize=True)
    return Screenshot(data=out.getvalue(), media_type=media_type, suffix=suffix, width=width, height=height)

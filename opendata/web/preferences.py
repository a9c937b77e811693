"""A reader's choices, kept in cookies and set by plain links: language (zh/en), text size, contrast.

Every choice works without JavaScript: a link to ``/preferences/<name>/<value>?next=<page>`` sets
the cookie and sends the reader back (303). The language can also be named in a page's URL
(``?lang=en``), which is what the ``hreflang`` alternates link to; Chinese is the default, and a
reader with no cookie whose browser prefers English gets English.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import Blueprint, Flask, g, redirect, request
from flask_babel import Babel

from opendata.core.errors import NotFoundError

LANGUAGES = {"zh": "zh-CN", "en": "en"}  # locale -> the html lang / hreflang value
DEFAULT_LANGUAGE = "zh"
CHOICES = {"lang": tuple(LANGUAGES), "text": ("normal", "large"), "contrast": ("normal", "high")}
COOKIE_AGE = 365 * 24 * 3600
# the portal's catalogue, then the department console's (its own, so the two are extracted apart)
TRANSLATION_DIRECTORIES = (Path(__file__).parent / "translations", Path(__file__).parent / "console" / "translations")

blp = Blueprint("preferences", __name__)


@dataclass(frozen=True)
class Preferences:
    """The choices in force for this request."""

    lang: str
    text: str
    contrast: str

    @property
    def html_lang(self) -> str:
        return LANGUAGES[self.lang]

    @property
    def html_classes(self) -> str:
        """Classes on <html> that switch the stylesheet's large-text and high-contrast rules on."""
        return " ".join(c for c in (self.text == "large" and "text-large",
                                    self.contrast == "high" and "contrast-high") if c)


def current() -> Preferences:
    """This request's preferences (read once per request)."""
    if "preferences" not in g:
        g.preferences = Preferences(lang=_language(), text=_cookie("text"), contrast=_cookie("contrast"))
    return g.preferences


def _cookie(name: str) -> str:
    value = request.cookies.get(name)
    return value if value in CHOICES[name] else CHOICES[name][0]


def _language() -> str:
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    cookie = request.cookies.get("lang")
    if cookie in LANGUAGES:
        return cookie
    return request.accept_languages.best_match(["zh", "en"], default=DEFAULT_LANGUAGE) or DEFAULT_LANGUAGE


def safe_next(target: str | None) -> str:
    """A path on this site to go back to; anything else (another host, a scheme) becomes '/'."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def switch_url(name: str, value: str, back: bool = True) -> str:
    """The link that sets one preference and comes back to this page (to the home page unless ``back``)."""
    here = (request.full_path.rstrip("?") if request.query_string else request.path) if back else "/"
    return f"/preferences/{name}/{value}?{urlencode({'next': here})}"


def language_url(lang: str) -> str:
    """This page in a language (the hreflang alternate): the current URL with ``lang`` set."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return request.path + "?" + urlencode([*args, ("lang", lang)])


@blp.get("/preferences/<name>/<value>")
def set_preference(name: str, value: str):
    """Remember a choice in a cookie for a year and go back to the page the reader came from."""
    if name not in CHOICES or value not in CHOICES[name]:
        raise NotFoundError(f"no preference {name}={value}")
    target = safe_next(request.args.get("next"))
    if name == "lang":  # the page's own ?lang= would override the new cookie: drop it
        parts = urlsplit(target)
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"]
        target = parts.path + (f"?{urlencode(query)}" if query else "")
    response = redirect(target, code=303)
    response.set_cookie(name, value, max_age=COOKIE_AGE, samesite="Lax", httponly=True,
                        secure=request.is_secure)
    return response


def init_app(app: Flask) -> None:
    """Flask-Babel with the portal's catalogues, the locale from :func:`current`, and the switch routes."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(str(p) for p in TRANSLATION_DIRECTORIES)
    Babel(app, locale_selector=lambda: current().lang)
    app.add_template_global(lambda: current().lang, "page_lang")  # also seen by macros imported without context
    app.register_blueprint(blp)

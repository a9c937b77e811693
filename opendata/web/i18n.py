"""Message ids that live in Python tables (navigation, sort and facet names, file labels).

``N_`` marks a string for extraction into the portal's catalogues without translating it at import
time; templates translate it when they show it (``{{ _(label) }}``). Extraction::

    pybabel extract -F babel.cfg -k lazy_gettext -k N_ --no-location --sort-output \\
        -o opendata/web/translations/messages.pot opendata/web
    pybabel update -i opendata/web/translations/messages.pot -d opendata/web/translations -l zh
    pybabel compile -d opendata/web/translations
"""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 (the conventional name of gettext's no-op marker)
    """Mark a message for extraction; return it unchanged."""
    return message

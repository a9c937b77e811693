"""Standards exports (Data Package, DCAT-AP, DCAT-US, schema.org, CKAN, bulk archives).

Plain functions that take a session, a :class:`~opendata.services.access.Viewer` and a base URL
and return dicts, graphs or files; the HTTP layer is in ``opendata.api.standards`` and
``opendata.api.ckan``. Every function here decides visibility through
:mod:`opendata.services.access` (via :mod:`opendata.services.standards.served`).
"""

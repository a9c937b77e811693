"""Standards exports (Data Package, DCAT-AP, DCAT-US, schema.org, bulk archives).

Plain functions that take a session, a :class:`~opendata.services.access.Viewer` and a base URL
and return dicts, graphs or files; the HTTP layer is in ``opendata.api.standards``, and the CKAN
protocol, which only translates, in ``opendata.api.ckan``. Every function here reads through the
one read model of a published dataset, :mod:`opendata.services.published.entries`, which applies
:mod:`opendata.services.access`.
"""

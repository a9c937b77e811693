"""The one read model of a published dataset, as a viewer may see it.

``entries``: listed datasets with the files the viewer may receive (the exports, CKAN, the pages,
through :func:`~opendata.services.published.entries.read_published`); ``detail``: a dataset and its
versions as /api/v1 and the pages show them; ``organizations``: the publishers and their counts;
``downloads``: the file behind a download URL (the tuned hot path); ``schema``: the Table Schema a
dataset publishes (its published version's own, after a reviewer's drops and masks).
"""

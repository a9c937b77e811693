"""/api/v1/datasets and what hangs under it: read (search, detail, versions), write (registration,
schemas), downloads, rows and access grants."""

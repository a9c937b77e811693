"""HTTP layer: flask-smorest blueprints, the CKAN-compatible Action API, standards endpoints."""

"""/api/v1/reports: annual disclosure reports (published versions, drafts, staff entries, the board).

``views`` holds the routes (one blueprint, ``reports``), ``schemas`` the marshmallow schemas.
"""

"""Persistence: database models and sessions, and the artifact store.

The table modules register on Base.metadata when opendata.store.models is imported (at its end), not
here: engines, sessions, the artifact store and the commit cache load without the ORM's classes.
"""

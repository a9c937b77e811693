"""Persistence: database models and sessions, and the artifact store."""

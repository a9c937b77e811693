"""Uploads of a new version: ``direct`` (one streamed body) and ``tus`` (resumable, tus 1.0)."""

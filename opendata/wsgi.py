"""WSGI entry point for production servers: ``gunicorn 'opendata.wsgi:app'``."""

from opendata.app import create_app

app = create_app()

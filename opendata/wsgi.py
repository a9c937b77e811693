"""WSGI entry point for production servers: ``gunicorn 'opendata.wsgi:app'``."""

from opendata.app import create_app, freeze_startup_objects, start_background_work
from opendata.core.allocator import keep_freed_memory

keep_freed_memory()  # request bodies copied through reused buffers, not freshly faulted pages
app = create_app()
start_background_work(app)  # the deadline sweep and the outbox, every OPENDATA_OUTBOX_INTERVAL_SECONDS
freeze_startup_objects()  # last: what start-up built is left out of full garbage collections

"""The server's notification worker: every interval, the request deadline sweep, the datasets due for an
update (once a day), then the outbox.

One daemon thread per process (``opendata serve`` and ``opendata.wsgi`` start it when
``OPENDATA_OUTBOX_INTERVAL_SECONDS`` > 0). Several processes may run it at once: the sweep's
changes are checked per request and its messages carry dedup keys, and each outbox message is
claimed before it is sent. A failing run is logged and the next one tries again.
"""

from __future__ import annotations

import logging
import threading

from opendata.services.outbox import DeliveryPolicy, outbox_deliver
from opendata.services.requests.policy import RequestPolicy
from opendata.services.requests.sweep import sweep_requests
from opendata.services.runtime import Runtime
from opendata.services.smtp import SmtpTransport
from opendata.services.timeliness.notices import send_daily_timeliness_notices

log = logging.getLogger(__name__)


def run_notifications_once(runtime: Runtime) -> None:
    """One round: deadlines first (they queue messages), then delivery when SMTP is configured."""
    sweep_requests(runtime=runtime, policy=RequestPolicy.from_config(runtime.config))
    try:  # datasets due for an update: once a day; a failure here must not hold up the requests' messages
        send_daily_timeliness_notices(runtime)
    except Exception:
        log.exception("timeliness notices failed; the next round tries again")
    transport = SmtpTransport.from_config(runtime.config)
    if transport is not None:
        outbox_deliver(sessions=runtime.sessions, transport=transport,
                       policy=DeliveryPolicy.from_config(runtime.config))


class NotificationWorker:
    """A daemon thread running :func:`run_notifications_once` every ``interval`` seconds until stopped."""

    def __init__(self, runtime: Runtime, interval: float):
        self.runtime, self.interval = runtime, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="opendata-notifications", daemon=True)

    def start(self) -> NotificationWorker:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:  # the database may be restarting: that too waits for the next round
                if self.runtime.is_initialized():
                    run_notifications_once(self.runtime)
            except Exception:  # the next round tries again; nothing here may stop the server
                log.exception("notification round failed")

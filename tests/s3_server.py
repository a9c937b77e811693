"""A real S3 endpoint for tests: moto's server mode (``moto[server]``) as a subprocess on 127.0.0.1.

It takes a fixed port, so one below 32768 is chosen (a free one, tried again if another process
takes it first); it is stopped by its PID. If it cannot be started the tests that need it fail.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass

ACCESS = {"S3_ACCESS_KEY_ID": "testing", "S3_SECRET_ACCESS_KEY": "testing", "S3_REGION": "us-east-1"}


@dataclass
class S3Server:
    """A running moto server."""

    process: subprocess.Popen
    endpoint: str

    def client(self):
        """A boto3 client of this server (for what a test checks behind the store's back)."""
        import boto3

        return boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint, region_name="us-east-1", aws_access_key_id="testing",
            aws_secret_access_key="testing")

    def new_bucket(self) -> str:
        """A fresh, empty bucket (each test has its own)."""
        name = f"t-{uuid.uuid4().hex[:20]}"
        self.client().create_bucket(Bucket=name)
        return name

    def settings(self, bucket: str, **more) -> dict:
        """The OPENDATA_* settings (as create_app overrides) of an artifact store in ``bucket``."""
        return {"ARTIFACT_STORE": "s3", "S3_BUCKET": bucket, "S3_ENDPOINT_URL": self.endpoint, "S3_PART_MB": 5,
                **ACCESS, **more}

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, 15)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, 9)
                self.process.wait(10)


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def start_s3_server(timeout: float = 60.0) -> S3Server:
    """Start moto's S3 server on a free port below 32768 and wait until it answers (RuntimeError if it cannot)."""
    rng = random.Random(os.getpid())
    problems = []
    for _attempt in range(5):
        port = next(p for p in iter(lambda: rng.randrange(20000, 32000), None) if _bindable(p))
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
        log = tempfile.TemporaryFile()  # noqa: SIM115 (the server's request log; a pipe would fill and block it)
        process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                   stdout=subprocess.DEVNULL, stderr=log, env=env)
        server = S3Server(process, f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"{server.endpoint}/moto-api/", timeout=2):
                    return server
            except OSError:
                time.sleep(0.2)
        server.stop()
        log.seek(0)
        problems.append(f"port {port}: exit {process.poll()}, {log.read().decode(errors='replace')[-500:]}")
        log.close()
    raise RuntimeError("could not start moto's S3 server: " + "; ".join(problems))

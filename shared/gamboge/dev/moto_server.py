"""A local moto server (the AWS API emulator) on a free loopback port: boto3's real calls in tests
and benchmarks go to it. Needs the `dev` extra (moto[server]); never a run-time need."""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from typing import Iterator

START_SECONDS = 20.0


@contextlib.contextmanager
def running() -> Iterator[str]:
    """Start a moto server, yield its endpoint URL, stop it at the end."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_SECONDS
    try:
        while True:
            try:
                urllib.request.urlopen(endpoint + "/moto-api/", timeout=1)  # noqa: S310  # nosec B310 - http on loopback
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)

"""`make up` (`python -m runner`) refuses, with a clear message, to start on a taken port."""

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_a_taken_port_is_named_and_nothing_starts():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = os.environ | {"GATEWAY_PORT": str(port), "HOST": "127.0.0.1"}
        result = subprocess.run(
            [sys.executable, "-m", "runner", "gateway"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 1
    assert f"Port {port} (gateway) is already in use" in result.stderr
    assert "Up:" not in result.stdout

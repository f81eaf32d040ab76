"""Starting ``eventhub`` commands as real child processes."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time


def start(arguments: list[str], database_url: str, **env: str) -> subprocess.Popen[str]:
    """Run ``eventhub ARGUMENTS`` against ``database_url`` in a new process."""
    environment = {
        **os.environ,
        "EVENTHUB_DATABASE_URL": database_url,
        "EVENTHUB_ALLOW_PRIVATE_TARGETS": "1",
        "EVENTHUB_POLL_SECONDS": "0.05",
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "connector.cli", *arguments],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_line(
    process: subprocess.Popen[str], pattern: str, timeout: float = 30
) -> str:
    """Read the child's output until a line matches; return the first group."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in iter(process.stdout.readline, ""):  # type: ignore[union-attr]
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.1)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        seen.append(line)
        match = re.search(pattern, line)
        if match:
            return match.group(1)

    raise AssertionError(f"no line matched {pattern!r}; output:\n{''.join(seen)}")


def stop(process: subprocess.Popen[str]) -> None:
    """Kill a child if it still runs, and reap it."""
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)

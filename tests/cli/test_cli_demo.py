from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SHARED_EVENTS

SUMMARY = "19 of 19 events delivered; 19 signatures verified"


def _demo(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("EVENTHUB_")
    }
    return subprocess.run(
        [sys.executable, "-m", "connector.cli", "demo", *args],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
        env=env,
    )


def test_demo_delivers_and_verifies_every_bundled_sample(tmp_path: Path):
    workdir = tmp_path / "work"

    finished = _demo(tmp_path, "--workdir", str(workdir))

    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "Sending the bundled samples" in finished.stderr
    assert SUMMARY in finished.stdout
    assert "NOT verified" not in finished.stdout
    assert len((workdir / "received.jsonl").read_text().splitlines()) == 19
    assert (workdir / "demo.db").exists()


def test_demo_runs_on_the_shared_events(tmp_path: Path):
    if not SHARED_EVENTS.is_dir():
        pytest.skip(f"the shared sample events are not at {SHARED_EVENTS}")

    finished = _demo(
        tmp_path, "--events", str(SHARED_EVENTS), "--workdir", str(tmp_path / "w")
    )

    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert SUMMARY in finished.stdout
    assert "42650703-154c-5008-9ed6-e65131b2f969" in finished.stdout


def test_demo_takes_the_platforms_samples_beside_the_clone_by_default(
    tmp_path: Path,
):
    if not SHARED_EVENTS.is_dir():
        pytest.skip(f"the shared sample events are not at {SHARED_EVENTS}")
    clone = tmp_path / "main"
    clone.mkdir()
    shutil.copytree(SHARED_EVENTS, tmp_path / "shared" / "events")

    finished = _demo(clone, "--workdir", str(tmp_path / "w"))

    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "Sending the events in ../shared/events." in finished.stderr
    assert SUMMARY in finished.stdout
    assert "42650703-154c-5008-9ed6-e65131b2f969" in finished.stdout


def test_demo_refuses_a_folder_without_events(tmp_path: Path):
    empty = tmp_path / "empty"
    empty.mkdir()

    finished = _demo(tmp_path, "--events", str(empty), "--workdir", str(tmp_path / "w"))

    assert finished.returncode == 1
    assert "holds no .json event files" in finished.stderr
    assert "Traceback" not in finished.stderr

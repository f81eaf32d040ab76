"""The CLI tests deliver to loopback receivers, as an operator testing would."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _allow_loopback_targets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENTHUB_ALLOW_PRIVATE_TARGETS", "1")

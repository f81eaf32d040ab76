"""manifest.json says what the plugin offers; it must match the code."""

from __future__ import annotations

import json
from importlib.metadata import distribution
from pathlib import Path

from connector import __version__
from connector.catalogue import event_types
from connector.registry import ENTRY_POINT_GROUP as GROUP
from connector.registry import ConnectorRegistry

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.json"


def test_the_manifest_lists_every_event_type_as_the_catalogue_has_it():
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))

    listed = [
        (item["key"], item["name"], item["category"], item["description"])
        for item in manifest["events"]
    ]

    assert listed == [(t.key, t.name, t.category, t.description) for t in event_types()]
    assert manifest["version"] == __version__


def test_the_manifest_lists_every_installed_connector_and_its_settings():
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    registry = ConnectorRegistry()

    own = {e.name for e in distribution("eventhub").entry_points if e.group == GROUP}

    # Connectors other packages installed are theirs to describe, not ours.
    assert sorted(manifest["connectors"]) == sorted(own)
    for name, entry in manifest["connectors"].items():
        schema = registry.get(name).settings_schema()
        declared = {field.data_key or key for key, field in schema.fields.items()}
        assert set(entry["settings"]) <= declared, name

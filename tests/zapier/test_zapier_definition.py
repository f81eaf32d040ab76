"""The Zapier integration definition built from the manifest and catalogue."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from connector.catalogue import get_event_type
from connector.errors import ConfigError
from connectors.zapier.cli import zapier
from connectors.zapier.definition import (
    DEFINITION_PATH,
    PLATFORM_VERSION,
    TRIGGER_KEY,
    build_definition,
    load_manifest,
    output_fields,
    render_definition,
    trigger_key,
)
from tests.zapier.conftest import NODE_DIR


@pytest.fixture(scope="module")
def manifest():
    return load_manifest()


@pytest.fixture(scope="module")
def definition(manifest):
    return build_definition(manifest)


def test_the_committed_definition_is_up_to_date(definition):
    committed = DEFINITION_PATH.read_text(encoding="utf-8")

    assert committed == render_definition(definition), (
        "connectors/zapier/definition.json is out of date; "
        "write it again with: eventhub zapier export"
    )


def test_every_event_type_of_the_manifest_is_one_trigger(manifest, definition):
    triggers = definition["triggers"]

    assert len(triggers) == len(manifest["events"]) == 19
    for event in manifest["events"]:
        trigger = triggers[trigger_key(event["key"])]
        assert trigger["display"] == {
            "label": event["name"],
            "description": event["description"],
        }
        assert trigger["operation"]["type"] == "hook"
        assert trigger["operation"]["sample"] == get_event_type(event["key"]).sample


def test_trigger_keys_are_keys_zapier_accepts(definition):
    for key, trigger in definition["triggers"].items():
        assert TRIGGER_KEY.match(key)
        assert trigger["key"] == key

    assert "task_assessed_marked" in definition["triggers"]
    assert "social_note_shared" in definition["triggers"]


def test_each_trigger_calls_the_zapier_routes_for_its_event(definition):
    operation = definition["triggers"]["task_assessed_marked"]["operation"]
    base = "{{bundle.authData.base_url}}"

    subscribe = operation["performSubscribe"]
    assert (subscribe["method"], subscribe["url"]) == ("POST", f"{base}/zapier/hooks")
    assert subscribe["body"] == {
        "targetUrl": "{{bundle.targetUrl}}",
        "event": "task.assessed.marked",
    }
    unsubscribe = operation["performUnsubscribe"]
    assert unsubscribe["method"] == "DELETE"
    assert unsubscribe["url"] == f"{base}/zapier/hooks/{{{{bundle.subscribeData.id}}}}"
    assert operation["performList"]["url"] == (
        f"{base}/zapier/events/task.assessed.marked"
    )
    for step in (subscribe, unsubscribe, operation["performList"]):
        assert step["headers"]["Authorization"] == "Bearer {{bundle.authData.api_key}}"


def test_authentication_asks_for_the_hub_address_and_a_key(definition):
    authentication = definition["authentication"]

    assert authentication["type"] == "custom"
    assert [field["key"] for field in authentication["fields"]] == [
        "base_url",
        "api_key",
    ]
    assert authentication["fields"][1]["type"] == "password"
    assert authentication["test"]["url"] == "{{bundle.authData.base_url}}/zapier/me"


def test_the_definition_is_plain_json(definition):
    assert json.loads(render_definition(definition)) == definition


def test_output_fields_use_the_keys_zapier_flattens_events_to():
    sample = {
        "id": "e1",
        "occurredAt": "2024-09-16T01:33:20.871Z",
        "anonymous": False,
        "user": None,
        "course": {"tags": ["a"], "contentId": "c1"},
        "data": {
            "mark": 7.5,
            "attempt": 2,
            "files": [{"id": "f1", "sizeBytes": 10}],
            "learner": {"personId": "p1"},
        },
    }

    fields = output_fields(sample)

    assert fields == [
        {"key": "id", "label": "ID", "type": "string"},
        {"key": "occurredAt", "label": "Occurred At", "type": "datetime"},
        {"key": "anonymous", "label": "Anonymous", "type": "boolean"},
        {"key": "user", "label": "User"},
        {"key": "course__tags", "label": "Course Tags", "list": True, "type": "string"},
        {"key": "course__contentId", "label": "Course Content ID", "type": "string"},
        {"key": "data__mark", "label": "Mark", "type": "number"},
        {"key": "data__attempt", "label": "Attempt", "type": "integer"},
        {"key": "data__files[]id", "label": "Files ID", "type": "string"},
        {
            "key": "data__files[]sizeBytes",
            "label": "Files Size Bytes",
            "type": "integer",
        },
        {
            "key": "data__learner__personId",
            "label": "Learner Person ID",
            "type": "string",
        },
    ]


def test_output_field_labels_keep_data_when_they_would_clash():
    sample = {"course": {"name": "A"}, "data": {"course": {"name": "B"}}}

    labels = [field["label"] for field in output_fields(sample)]

    assert labels == ["Course Name", "Data Course Name"]


def test_trigger_key_refuses_a_key_zapier_would_refuse():
    with pytest.raises(ConfigError, match=r"'9lives\.shared'.*starting with a letter"):
        trigger_key("9lives.shared")


def test_two_event_types_with_one_trigger_key_are_refused(manifest):
    twice = {**manifest, "events": manifest["events"][:1] * 2}

    with pytest.raises(ConfigError, match="both become the Zapier trigger"):
        build_definition(twice)


def test_a_missing_manifest_says_how_to_fix_it(tmp_path):
    with pytest.raises(ConfigError, match="pass --manifest PATH"):
        load_manifest(tmp_path / "manifest.json")


def test_platform_version_is_the_pinned_zapier_platform_core():
    package = json.loads((NODE_DIR / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((NODE_DIR / "package-lock.json").read_text(encoding="utf-8"))

    for name in ("zapier-platform-core", "zapier-platform-schema"):
        assert package["dependencies"][name] == PLATFORM_VERSION
        assert lock["packages"][f"node_modules/{name}"]["version"] == PLATFORM_VERSION


def test_export_writes_the_definition(tmp_path):
    output = tmp_path / "definition.json"

    result = CliRunner().invoke(zapier, ["export", "--output", str(output)])

    assert result.exit_code == 0, result.output
    assert "19 Zapier triggers" in result.output
    assert output.read_text(encoding="utf-8") == DEFINITION_PATH.read_text(
        encoding="utf-8"
    )


def test_export_to_stdout():
    result = CliRunner().invoke(zapier, ["export", "--output", "-"])

    assert result.exit_code == 0
    assert json.loads(result.stdout)["platformVersion"] == PLATFORM_VERSION


def test_export_check_fails_on_an_out_of_date_file(tmp_path):
    stale = tmp_path / "definition.json"
    stale.write_text("{}\n", encoding="utf-8")

    result = CliRunner().invoke(zapier, ["export", "--check", "--output", str(stale)])

    assert result.exit_code == 1
    assert "out of date" in result.output
    assert stale.read_text(encoding="utf-8") == "{}\n"


def test_export_check_passes_on_the_committed_file():
    result = CliRunner().invoke(zapier, ["export", "--check"])

    assert result.exit_code == 0, result.output


def test_export_from_another_manifest(tmp_path, manifest):
    path = tmp_path / "manifest.json"
    path.write_text(
        json.dumps({**manifest, "events": manifest["events"][:2]}), encoding="utf-8"
    )
    output = tmp_path / "definition.json"

    CliRunner().invoke(
        zapier, ["export", "--manifest", str(path), "--output", str(output)]
    )

    assert len(json.loads(output.read_text(encoding="utf-8"))["triggers"]) == 2

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner, Result
from standardwebhooks.webhooks import Webhook

from connector.cli import main
from connector.hooks import list_hooks
from connector.hub import Hub
from tests.conftest import ORGANISATION
from tests.support.sink import Sink

ALLOW = {"EVENTHUB_ALLOW_PRIVATE_TARGETS": "1"}
DENY = {"EVENTHUB_ALLOW_PRIVATE_TARGETS": "0"}


def _run(database_url: str, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["--database-url", database_url, *args], env=env)


def _create(database_url: str, url: str, *extra: str) -> dict[str, Any]:
    result = _run(
        database_url, "hooks", "create", "-o", ORGANISATION, "--url", url, *extra
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def created(hub: Hub, database_url: str, sink: Sink) -> dict[str, Any]:
    return _create(database_url, sink.url + "/cli", "--event", "task.*")


def test_hooks_create_prints_the_hook_with_its_secret(hub: Hub, database_url: str):
    result = _run(
        database_url,
        "hooks",
        "create",
        "--organisation",
        ORGANISATION,
        "--url",
        "http://127.0.0.1:9/x",
        "--event",
        "task.*",
        "--header",
        "X-Team: ops",
    )

    hook = json.loads(result.stdout)
    assert result.exit_code == 0, result.output
    assert hook["secret"].startswith("whsec_")
    assert hook["connector"] == "webhook"
    assert hook["events"] == ["task.*"]
    assert hook["enabled"] is True
    assert hook["settings"] == {
        "url": "http://127.0.0.1:9/x",
        "headers": {"X-Team": "ops"},
        "timeout": 10.0,
    }
    assert [row["id"] for row in list_hooks(hub.database, ORGANISATION)] == [hook["id"]]


def test_hooks_create_takes_tags_and_anonymous(hub: Hub, database_url: str):
    hook = _create(
        database_url, "http://127.0.0.1:9/x", "--tag", "cohort-a", "--anonymous"
    )

    assert hook["events"] == ["*"]
    assert hook["filter"] == {"tags": ["cohort-a"]}
    assert hook["anonymous"] is True


def test_reserved_header_is_refused_when_the_hook_is_created(
    hub: Hub, database_url: str
):
    result = _run(
        database_url,
        "hooks",
        "create",
        "-o",
        ORGANISATION,
        "--url",
        "http://127.0.0.1:9/x",
        "--header",
        "Webhook-Id: mine",
    )

    assert result.exit_code == 1
    assert "The settings of the 'webhook' connector are not valid." in result.output
    assert (
        "settings.headers: 'Webhook-Id' is set by eventhub itself and cannot be "
        "overridden." in result.output
    )
    assert "Traceback" not in result.output
    assert list_hooks(hub.database, ORGANISATION) == []


def test_a_header_without_a_colon_is_a_usage_error(hub: Hub, database_url: str):
    result = _run(
        database_url,
        "hooks",
        "create",
        "-o",
        ORGANISATION,
        "--url",
        "http://127.0.0.1:9/x",
        "--header",
        "X-Team ops",
    )

    assert result.exit_code == 2
    assert "'X-Team ops' is not 'Name: value'" in result.output


def test_an_unknown_event_pattern_is_refused(hub: Hub, database_url: str):
    result = _run(
        database_url,
        "hooks",
        "create",
        "-o",
        ORGANISATION,
        "--url",
        "http://127.0.0.1:9/x",
        "--event",
        "quizzes.*",
    )

    assert result.exit_code == 1
    assert "'quizzes.*' matches no known event type." in result.output


def test_hooks_list_shows_each_hook_and_its_target(
    database_url: str, created: dict[str, Any], sink: Sink
):
    result = _run(database_url, "hooks", "list", "-o", ORGANISATION)

    header, row = result.stdout.splitlines()
    assert result.exit_code == 0
    assert header.split() == ["id", "connector", "enabled", "events", "target"]
    assert row.split() == [
        created["id"],
        "webhook",
        "True",
        "task.*",
        sink.url + "/cli",
    ]


def test_hooks_list_never_shows_the_secret(database_url: str, created: dict[str, Any]):
    result = _run(database_url, "hooks", "list", "-o", ORGANISATION, "--json")

    assert result.exit_code == 0
    assert [hook["id"] for hook in json.loads(result.stdout)] == [created["id"]]
    assert created["secret"] not in result.stdout


def test_hooks_list_of_another_organisation_is_empty(
    database_url: str, created: dict[str, Any]
):
    result = _run(database_url, "hooks", "list", "-o", "org_other_school")

    assert result.exit_code == 0
    assert result.stdout == "(none)\n"


def test_hooks_update_disables_and_enables(database_url: str, created: dict[str, Any]):
    disabled = _run(
        database_url, "hooks", "update", "-o", ORGANISATION, created["id"], "--disable"
    )
    enabled = _run(
        database_url, "hooks", "update", "-o", ORGANISATION, created["id"], "--enable"
    )

    assert disabled.exit_code == 0
    assert json.loads(disabled.stdout)["enabled"] is False
    assert json.loads(enabled.stdout)["enabled"] is True


def test_hooks_update_replaces_the_events(database_url: str, created: dict[str, Any]):
    result = _run(
        database_url,
        "hooks",
        "update",
        "-o",
        ORGANISATION,
        created["id"],
        "--event",
        "quiz.*",
        "--event",
        "page.viewed",
    )

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["events"] == ["quiz.*", "page.viewed"]


def test_hooks_show_of_an_unknown_id_fails_clearly(hub: Hub, database_url: str):
    result = _run(database_url, "hooks", "show", "-o", ORGANISATION, "hk_missing")

    assert result.exit_code == 1
    assert "No hook has the id 'hk_missing' in this organisation." in result.output
    assert "Traceback" not in result.output


def test_hooks_show_of_another_organisations_hook_is_not_found(
    database_url: str, created: dict[str, Any]
):
    result = _run(database_url, "hooks", "show", "-o", "org_other", created["id"])

    assert result.exit_code == 1
    assert f"No hook has the id {created['id']!r}" in result.output


def test_hooks_test_delivers_a_signed_sample_to_the_target(
    database_url: str, created: dict[str, Any], sink: Sink
):
    result = _run(
        database_url, "hooks", "test", "-o", ORGANISATION, created["id"], env=ALLOW
    )

    report = json.loads(result.stdout)
    received = sink.received
    assert result.exit_code == 0, result.output
    assert report["outcome"] == "delivered"
    assert report["statusCode"] == 204
    assert report["eventType"].startswith("task.")
    assert len(received) == 1
    assert received[0].path == "/cli"
    assert received[0].headers["webhook-id"] == report["event"]
    payload = Webhook(created["secret"]).verify(received[0].body, received[0].headers)
    assert payload["event"] == report["eventType"]
    assert payload["organisation"]["id"] == ORGANISATION


def test_hooks_test_sends_the_chosen_event_type(
    database_url: str, created: dict[str, Any], sink: Sink
):
    result = _run(
        database_url,
        "hooks",
        "test",
        "-o",
        ORGANISATION,
        created["id"],
        "--event",
        "quiz.viewed",
        env=ALLOW,
    )

    assert result.exit_code == 0, result.output
    assert json.loads(sink.received[0].body)["event"] == "quiz.viewed"


def test_hooks_test_to_a_private_target_is_refused_unless_allowed(
    database_url: str, created: dict[str, Any], sink: Sink
):
    result = _run(
        database_url, "hooks", "test", "-o", ORGANISATION, created["id"], env=DENY
    )

    report = json.loads(result.stdout)
    assert result.exit_code == 1
    assert report["outcome"] == "failed"
    assert "EVENTHUB_ALLOW_PRIVATE_TARGETS" in report["error"]
    assert sink.received == []


def test_hooks_rotate_secret_signs_with_both_secrets(
    database_url: str, created: dict[str, Any], sink: Sink
):
    rotated = _run(
        database_url, "hooks", "rotate-secret", "-o", ORGANISATION, created["id"]
    )
    _run(database_url, "hooks", "test", "-o", ORGANISATION, created["id"], env=ALLOW)

    new = json.loads(rotated.stdout)
    received = sink.received[0]
    assert rotated.exit_code == 0
    assert new["id"] == created["id"]
    assert new["secret"].startswith("whsec_")
    assert new["secret"] != created["secret"]
    assert new["previousValidUntil"]
    assert len(received.headers["webhook-signature"].split(" ")) == 2
    assert Webhook(new["secret"]).verify(received.body, received.headers)
    assert Webhook(created["secret"]).verify(received.body, received.headers)


def test_hooks_rotate_secret_without_grace_drops_the_old_secret(
    database_url: str, created: dict[str, Any], sink: Sink
):
    rotated = _run(
        database_url,
        "hooks",
        "rotate-secret",
        "-o",
        ORGANISATION,
        created["id"],
        "--grace-seconds",
        "0",
    )
    _run(database_url, "hooks", "test", "-o", ORGANISATION, created["id"], env=ALLOW)

    received = sink.received[0]
    assert rotated.exit_code == 0
    assert len(received.headers["webhook-signature"].split(" ")) == 1
    assert Webhook(json.loads(rotated.stdout)["secret"]).verify(
        received.body, received.headers
    )


def test_hooks_delete_removes_the_hook(
    hub: Hub, database_url: str, created: dict[str, Any]
):
    result = _run(database_url, "hooks", "delete", "-o", ORGANISATION, created["id"])

    assert result.exit_code == 0
    assert result.stdout == f"deleted {created['id']}\n"
    assert list_hooks(hub.database, ORGANISATION) == []


def test_a_loopback_hook_is_refused_unless_the_operator_allows_it(
    database_url: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("EVENTHUB_ALLOW_PRIVATE_TARGETS", "0")

    result = _run(
        database_url,
        "hooks",
        "create",
        "-o",
        ORGANISATION,
        "--url",
        "http://localhost:8765/",
    )

    assert result.exit_code == 1
    assert "EVENTHUB_ALLOW_PRIVATE_TARGETS=1" in result.output
    assert "settings.url" in result.output

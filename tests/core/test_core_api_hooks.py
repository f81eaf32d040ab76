"""Hooks through the API: create, read, change, delete, test, rotate."""

from __future__ import annotations

import json

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from connector.delivery.worker import drain
from connector.hub import Hub
from connector.web import create_app
from tests.conftest import shared_events


def _create(client, auth, **body):
    return client.post("/v1/hooks", json=body, headers=auth)


def test_a_hook_is_created_with_its_secret_shown_once(client, auth):
    response = _create(
        client,
        auth,
        events=["task.assessed.marked", "quiz.*"],
        filter={"tags": ["cohort-a"]},
        settings={"url": "https://example.org/hook", "headers": {"X-Team": "ops"}},
    )
    hook = response.get_json()
    shown = client.get(f"/v1/hooks/{hook['id']}", headers=auth).get_json()

    assert response.status_code == 201
    assert hook["secret"].startswith("whsec_")
    assert hook["connector"] == "webhook"
    assert hook["events"] == ["task.assessed.marked", "quiz.*"]
    assert hook["settings"] == {
        "url": "https://example.org/hook",
        "headers": {"X-Team": "ops"},
        "timeout": 10.0,
    }
    assert "secret" not in shown
    assert client.get("/v1/hooks", headers=auth).get_json() == [shown]


def test_credentials_in_custom_headers_are_masked_when_read(client, auth):
    hook = _create(
        client,
        auth,
        settings={
            "url": "https://example.org/hook",
            "headers": {"Authorization": "Bearer s3cret", "X-Team": "ops"},
        },
    ).get_json()

    shown = client.get(f"/v1/hooks/{hook['id']}", headers=auth).get_data(as_text=True)

    assert "s3cret" not in shown
    assert json.loads(shown)["settings"]["headers"]["X-Team"] == "ops"


def test_invalid_hooks_are_refused_naming_the_field(client, auth):
    cases = {
        "settings.headers": {
            "settings": {"url": "https://x.org", "headers": {"Webhook-Id": "1"}}
        },
        "settings.url": {"settings": {"url": "ftp://x.org/file"}},
        "events": {"events": ["lesson.*"], "settings": {"url": "https://x.org"}},
        "filter": {"filter": {"colour": "red"}, "settings": {"url": "https://x.org"}},
        "connector": {"connector": "carrier-pigeon", "settings": {}},
        "surprise": {"surprise": 1, "settings": {"url": "https://x.org"}},
    }

    for path, body in cases.items():
        response = _create(client, auth, **body)

        assert response.status_code == 422, path
        assert path in response.get_json()["error"]["fields"], response.get_json()
    assert client.get("/v1/hooks", headers=auth).get_json() == []


def test_a_reserved_header_is_refused_with_the_reason(client, auth):
    response = _create(
        client, auth, settings={"url": "https://x.org", "headers": {"Host": "evil"}}
    )

    reasons = response.get_json()["error"]["fields"]["settings.headers"]
    assert "'Host' is set by eventhub itself" in reasons[0]


def test_a_hook_is_changed_and_deleted(client, auth):
    hook = _create(client, auth, settings={"url": "https://x.org/a"}).get_json()

    changed = client.patch(
        f"/v1/hooks/{hook['id']}",
        json={"events": ["page.*"], "enabled": False},
        headers=auth,
    )
    bad = client.patch(
        f"/v1/hooks/{hook['id']}", json={"settings": {"url": "nope"}}, headers=auth
    )
    deleted = client.delete(f"/v1/hooks/{hook['id']}", headers=auth)
    gone = client.get(f"/v1/hooks/{hook['id']}", headers=auth)

    assert changed.get_json()["events"] == ["page.*"]
    assert changed.get_json()["enabled"] is False
    assert changed.get_json()["settings"]["url"] == "https://x.org/a"
    assert bad.status_code == 422
    assert deleted.get_json() == {"id": hook["id"], "deleted": True}
    assert gone.status_code == 404


def test_a_disabled_hook_gets_no_new_deliveries(client, hub, auth):
    hook = _create(client, auth, settings={"url": "http://127.0.0.1:9/"}).get_json()
    client.patch(f"/v1/hooks/{hook['id']}", json={"enabled": False}, headers=auth)

    client.post("/v1/events", json=shared_events()[0], headers=auth)

    assert client.get("/v1/deliveries", headers=auth).get_json() == []


def test_the_test_call_delivers_a_signed_sample_now(client, auth, sink):
    hook = _create(client, auth, settings={"url": sink.url}).get_json()

    result = client.post(
        f"/v1/hooks/{hook['id']}/test",
        json={"event": "task.assessed.marked"},
        headers=auth,
    ).get_json()
    received = sink.wait_for(1)[0]

    assert result["outcome"] == "delivered"
    assert result["statusCode"] == 204
    payload = Webhook(hook["secret"]).verify(received.body, received.headers)
    assert payload["event"] == "task.assessed.marked"
    assert payload["organisation"]["id"] == "org_kauri_training"
    assert client.get("/v1/deliveries", headers=auth).get_json() == []


def test_the_test_call_refuses_an_unknown_event_type(client, auth):
    hook = _create(client, auth, settings={"url": "https://x.org"}).get_json()

    response = client.post(
        f"/v1/hooks/{hook['id']}/test", json={"event": "nope"}, headers=auth
    )

    assert response.status_code == 422
    assert "event" in response.get_json()["error"]["fields"]


def test_after_a_rotation_both_secrets_sign_until_the_grace_period_ends(
    client, hub, auth, sink
):
    hook = _create(client, auth, settings={"url": sink.url}).get_json()
    rotated = client.post(
        f"/v1/hooks/{hook['id']}/rotate-secret",
        json={"graceSeconds": 3600},
        headers=auth,
    ).get_json()

    client.post("/v1/events", json=shared_events()[0], headers=auth)
    drain(hub.database, hub.registry, hub.settings)
    received = sink.wait_for(1)[0]

    assert rotated["secret"] != hook["secret"]
    assert len(received.headers["webhook-signature"].split(" ")) == 2
    Webhook(hook["secret"]).verify(received.body, received.headers)
    Webhook(rotated["secret"]).verify(received.body, received.headers)


def test_a_rotation_without_grace_retires_the_old_secret_at_once(
    client, hub, auth, sink
):
    hook = _create(client, auth, settings={"url": sink.url}).get_json()
    rotated = client.post(
        f"/v1/hooks/{hook['id']}/rotate-secret",
        json={"graceSeconds": 0},
        headers=auth,
    ).get_json()

    client.post("/v1/events", json=shared_events()[0], headers=auth)
    drain(hub.database, hub.registry, hub.settings)
    received = sink.wait_for(1)[0]

    Webhook(rotated["secret"]).verify(received.body, received.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(hook["secret"]).verify(received.body, received.headers)


def test_a_masked_header_sent_back_unchanged_keeps_its_stored_value(
    client, hub, auth, sink
):
    hook = _create(
        client,
        auth,
        settings={"url": sink.url, "headers": {"Authorization": "Bearer s3cret"}},
    ).get_json()
    shown = client.get(f"/v1/hooks/{hook['id']}", headers=auth).get_json()

    client.patch(
        f"/v1/hooks/{hook['id']}",
        json={"settings": {**shown["settings"], "timeout": 5}},
        headers=auth,
    )
    client.post("/v1/events", json=shared_events()[0], headers=auth)
    drain(hub.database, hub.registry, hub.settings)

    assert sink.wait_for(1)[0].headers["authorization"] == "Bearer s3cret"


@pytest.mark.parametrize(
    "headers",
    [
        {"Transfer-Encoding": "chunked"},
        {"connection": "close"},
        {"Proxy-Authorization": "x"},
        {"X-Name": "日本"},
        {"X-A": " leading"},
        {"X-A": "a\u0000b"},
    ],
)
def test_headers_that_would_break_the_request_are_refused(client, auth, headers):
    response = _create(
        client, auth, settings={"url": "https://x.org", "headers": headers}
    )

    # A NUL is refused with the rest of the body, under the header's own name.
    fields = response.get_json()["error"]["fields"]
    assert response.status_code == 422
    assert any(name.startswith("settings.headers") for name in fields), fields


def test_a_mask_with_no_stored_value_is_refused(client, auth):
    hook = _create(client, auth, settings={"url": "https://x.org"}).get_json()

    response = client.patch(
        f"/v1/hooks/{hook['id']}",
        json={"settings": {"url": "https://x.org", "headers": {"X-Api-Key": "***"}}},
        headers=auth,
    )

    assert response.status_code == 422
    assert (
        "no stored value"
        in response.get_json()["error"]["fields"]["settings.headers"][0]
    )


def test_a_stored_credential_cannot_be_sent_to_a_new_host(client, auth):
    hook = _create(
        client,
        auth,
        settings={"url": "https://x.org", "headers": {"Authorization": "Bearer s3"}},
    ).get_json()

    response = client.patch(
        f"/v1/hooks/{hook['id']}",
        json={
            "settings": {
                "url": "https://attacker.example",
                "headers": {"authorization": "***"},
            }
        },
        headers=auth,
    )

    assert response.status_code == 422
    assert (
        "host changed" in response.get_json()["error"]["fields"]["settings.headers"][0]
    )


def test_credentials_in_the_url_are_masked_when_read(client, auth):
    hook = _create(
        client, auth, settings={"url": "https://user:pa55@x.org/in"}
    ).get_json()

    shown = client.get(f"/v1/hooks/{hook['id']}", headers=auth).get_json()

    assert shown["settings"]["url"] == "https://***@x.org/in"


@pytest.mark.parametrize(
    ("userinfo", "expected"),
    [
        # base64 of "alice:pa ss"
        ("alice:pa%20ss", "Basic YWxpY2U6cGEgc3M="),
        # base64 of the UTF-8 bytes of "us☃:pä"
        ("us%E2%98%83:p%C3%A4", "Basic dXPimIM6cMOk"),
    ],
)
def test_credentials_in_the_url_are_sent_as_basic_auth(
    client, hub, auth, sink, userinfo, expected
):
    host = sink.url.split("://", 1)[1]
    _create(client, auth, settings={"url": f"http://{userinfo}@{host}/in"})

    client.post("/v1/events", json=shared_events()[0], headers=auth)
    drain(hub.database, hub.registry, hub.settings)

    assert sink.wait_for(1)[0].headers["authorization"] == expected


def test_a_hooks_own_authorization_header_replaces_the_urls(client, hub, auth, sink):
    host = sink.url.split("://", 1)[1]
    _create(
        client,
        auth,
        settings={
            "url": f"http://alice:pw@{host}/in",
            "headers": {"Authorization": "Bearer mine"},
        },
    )

    client.post("/v1/events", json=shared_events()[0], headers=auth)
    drain(hub.database, hub.registry, hub.settings)
    received = sink.wait_for(1)[0]

    sent = [v for k, v in received.header_lines if k.lower() == "authorization"]
    assert sent == ["Bearer mine"]


def test_credentials_in_the_url_survive_a_read_then_patch(client, hub, auth, sink):
    host = sink.url.split("://", 1)[1]
    hook = _create(
        client, auth, settings={"url": f"http://alice:pw@{host}/in"}
    ).get_json()
    shown = client.get(f"/v1/hooks/{hook['id']}", headers=auth).get_json()

    patched = client.patch(
        f"/v1/hooks/{hook['id']}",
        json={"settings": {**shown["settings"], "timeout": 5}},
        headers=auth,
    )
    client.post("/v1/events", json=shared_events()[0], headers=auth)
    drain(hub.database, hub.registry, hub.settings)

    assert patched.status_code == 200
    assert patched.get_json()["settings"]["url"] == f"http://***@{host}/in"
    assert sink.wait_for(1)[0].headers["authorization"] == "Basic YWxpY2U6cHc="


@pytest.mark.parametrize(
    ("stored", "sent"),
    [
        ("https://x.org/in", "https://***@x.org/in"),
        ("https://alice:pw@x.org/in", "https://***@attacker.example/in"),
        ("https://alice:pw@x.org/in", "http://***@x.org/in"),
    ],
)
def test_a_masked_url_with_nothing_to_keep_is_refused(client, auth, stored, sent):
    hook = _create(client, auth, settings={"url": stored}).get_json()

    response = client.patch(
        f"/v1/hooks/{hook['id']}", json={"settings": {"url": sent}}, headers=auth
    )

    assert response.status_code == 422
    assert (
        "send them in full" in response.get_json()["error"]["fields"]["settings.url"][0]
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8765/",
        "http://localhost/x",
        "http://[::1]/",
        "http://10.1.2.3/",
    ],
)
def test_a_private_target_is_refused_when_the_operator_does_not_allow_it(
    settings, key, url
):
    strict = Hub.open(settings.override(allow_private_targets=False))
    client = create_app(strict).test_client()

    response = client.post(
        "/v1/hooks",
        json={"settings": {"url": url}},
        headers={"Authorization": f"Bearer {key}"},
    )

    assert response.status_code == 422
    reason = response.get_json()["error"]["fields"]["settings.url"][0]
    assert "EVENTHUB_ALLOW_PRIVATE_TARGETS=1" in reason


def test_the_log_says_whether_a_hook_was_disabled_or_enabled(client, auth, caplog):
    hook = _create(client, auth, settings={"url": "https://x.org"}).get_json()
    caplog.set_level("INFO", logger="connector.hooks")

    for enabled in (False, True):
        client.patch(f"/v1/hooks/{hook['id']}", json={"enabled": enabled}, headers=auth)

    updates = [r.getMessage() for r in caplog.records if "updated hook" in r.message]
    assert updates == [
        f"updated hook {hook['id']}: disabled",
        f"updated hook {hook['id']}: enabled",
    ]


def test_a_url_with_an_impossible_port_is_refused(client, auth):
    response = _create(client, auth, settings={"url": "http://x.org:99999/in"})

    assert response.status_code == 422
    assert "port" in response.get_json()["error"]["fields"]["settings.url"][0]

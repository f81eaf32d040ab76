from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from connector.base import BaseConnector, DeliveryRequest, DeliveryResult, Outcome
from connector.config import Settings
from connector.delivery.worker import drain
from connector.errors import RegistryError
from connector.hub import Hub
from connector.keys import create_key
from connector.registry import ConnectorRegistry
from connector.web import create_app
from connectors.webhook import WebhookConnector, WebhookSettingsSchema
from tests.conftest import ORGANISATION, shared_events
from tests.support.tiny_connector import (
    BROKEN_SOURCE,
    install_distribution,
    install_tiny,
)

THIRD_PARTY_MODULES = ("eventhub_tiny", "eventhub_broken")


class _Named(BaseConnector):
    name: ClassVar[str] = "twin"
    settings_schema = WebhookSettingsSchema

    def deliver(self, request: DeliveryRequest) -> DeliveryResult:
        return DeliveryResult(Outcome.DELIVERED)


class _OtherNamed(_Named):
    name: ClassVar[str] = "twin"


class _Nameless(_Named):
    name: ClassVar[str] = ""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder on ``sys.path`` where third-party distributions are installed."""
    root = tmp_path / "site"
    root.mkdir()
    install_tiny(root)
    monkeypatch.syspath_prepend(str(root))
    yield root
    for module in THIRD_PARTY_MODULES:
        sys.modules.pop(module, None)


@pytest.fixture
def tiny_hub(settings: Settings, site: Path) -> Iterator[Hub]:
    opened = Hub.open(settings, connectors=ConnectorRegistry())
    yield opened
    opened.database.dispose()


def test_an_installed_third_party_connector_is_listed(site: Path):
    registry = ConnectorRegistry()

    names = registry.names()

    assert {"tiny", "webhook", "zapier", "sheets"} <= set(names)
    assert names == sorted(names)


def test_an_installed_third_party_connector_loads_by_name(site: Path):
    registry = ConnectorRegistry()

    cls = registry.get("tiny")

    assert cls.name == "tiny"
    assert cls.__module__ == "eventhub_tiny"
    assert issubclass(cls, BaseConnector)
    assert isinstance(registry.create("tiny"), cls)


def test_a_built_in_connector_loads_from_its_entry_point():
    assert ConnectorRegistry().get("webhook") is WebhookConnector


def test_a_third_party_connector_delivers_end_to_end(tiny_hub: Hub, tmp_path: Path):
    client = create_app(tiny_hub).test_client()
    auth = {"Authorization": f"Bearer {create_key(tiny_hub.database, ORGANISATION)}"}
    target = tmp_path / "received.jsonl"
    event = shared_events()[0]

    created = client.post(
        "/v1/hooks",
        json={"connector": "tiny", "events": ["*"], "settings": {"path": str(target)}},
        headers=auth,
    )
    posted = client.post("/v1/events", json=event, headers=auth)
    delivered = drain(tiny_hub.database, tiny_hub.registry, tiny_hub.settings)

    assert created.status_code == 201
    assert created.get_json()["connector"] == "tiny"
    assert "secret" not in created.get_json()
    assert posted.status_code == 202
    assert delivered == 1
    lines = target.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [event]


def test_a_third_party_connector_checks_its_settings(tiny_hub: Hub):
    client = create_app(tiny_hub).test_client()
    auth = {"Authorization": f"Bearer {create_key(tiny_hub.database, ORGANISATION)}"}

    answer = client.post(
        "/v1/hooks", json={"connector": "tiny", "settings": {}}, headers=auth
    )

    assert answer.status_code == 422
    assert "settings.path" in answer.get_json()["error"]["fields"]


def test_registering_a_second_class_under_a_name_is_refused():
    registry = ConnectorRegistry()
    registry.register(_Named, source="package one")

    with pytest.raises(
        RegistryError,
        match=r"Two connectors are named 'twin': package one and package two\. "
        r"Rename one, or uninstall the package you do not want\.",
    ):
        registry.register(_OtherNamed, source="package two")

    assert registry.get("twin") is _Named


def test_registering_the_same_class_twice_is_harmless():
    registry = ConnectorRegistry()

    registry.register(_Named)
    registry.register(_Named)

    assert registry.get("twin") is _Named


def test_a_class_registered_over_a_built_in_name_is_refused():
    registry = ConnectorRegistry()
    registry.get("webhook")

    class Impostor(_Named):
        name: ClassVar[str] = "webhook"

    with pytest.raises(RegistryError, match="Two connectors are named 'webhook'"):
        registry.register(Impostor)


def test_a_class_without_a_name_is_refused():
    with pytest.raises(RegistryError, match="_Nameless has no 'name'; set a class"):
        ConnectorRegistry().register(_Nameless)


def test_an_unknown_name_lists_the_installed_connectors(site: Path):
    registry = ConnectorRegistry()

    with pytest.raises(RegistryError) as caught:
        registry.get("nope")

    assert str(caught.value).startswith("No connector is named 'nope'; the installed")
    assert all(name in str(caught.value) for name in ("tiny", "webhook", "sheets"))


def test_an_entry_point_loading_a_differently_named_class_is_refused(site: Path):
    install_distribution(
        site, "eventhub_misnamed", {"misnamed": "eventhub_tiny:MisnamedConnector"}
    )
    registry = ConnectorRegistry()

    with pytest.raises(
        RegistryError,
        match=r"The entry point 'misnamed' \(eventhub_tiny:MisnamedConnector\) loads "
        r"a connector named 'not-misnamed'; the two names must match\.",
    ):
        registry.get("misnamed")

    assert "not-misnamed" not in registry.names()


def test_a_connector_that_fails_to_import_is_named_and_the_rest_still_load(
    site: Path,
):
    install_distribution(
        site,
        "eventhub_broken",
        {"broken": "eventhub_broken:BrokenConnector"},
        {"eventhub_broken": BROKEN_SOURCE},
    )
    registry = ConnectorRegistry()

    with pytest.raises(
        RegistryError,
        match=r"The connector 'broken' \(eventhub_broken:BrokenConnector\) failed to "
        r"load: eventhub_broken needs libnothing.*Reinstall or remove",
    ):
        registry.get("broken")

    assert registry.get("tiny").name == "tiny"
    assert registry.get("webhook") is WebhookConnector
    assert "broken" in registry.names()


def test_names_loads_no_connector(site: Path):
    registry = ConnectorRegistry()

    registry.names()

    assert "eventhub_tiny" not in sys.modules

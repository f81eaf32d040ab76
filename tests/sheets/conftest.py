"""Fixtures for the Sheets connector: a throwaway key, a stand-in server."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from connector.base import ConnectorOptions, DeliveryRequest
from connector.catalogue import get_event_type
from connectors.sheets import RateLimiter, SheetsConnector
from tests.sheets.standin import SheetsStandIn

ACCOUNT = "marking-bot@eventhub-test.iam.gserviceaccount.com"
# The example spreadsheet of Google's Sheets API documentation.
SPREADSHEET = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"


def new_private_key() -> rsa.RSAPrivateKey:
    """A fresh RSA key, as Google generates for a service-account key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def write_key_file(
    path: Path, key: rsa.RSAPrivateKey, token_uri: str, email: str = ACCOUNT
) -> Path:
    """Write a service-account key file shaped like the ones Google issues."""
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "eventhub-test",
        "private_key_id": uuid.uuid4().hex,
        "private_key": pem,
        "client_email": email,
        "client_id": "100000000000000000001",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
        + email,
        "universe_domain": "googleapis.com",
    }
    path.write_text(json.dumps(info), encoding="utf-8")
    return path


def marked_event(**data: Any) -> dict[str, Any]:
    """The catalogue's marked-task sample with a fresh id and ``data`` changes."""
    event = get_event_type("task.assessed.marked").sample
    event["id"] = str(uuid.uuid4())
    event["data"].update(data)
    return event


def request_for(
    event: dict[str, Any], settings: dict[str, Any], attempt: int = 1
) -> DeliveryRequest:
    """A delivery request as a worker would build it."""
    return DeliveryRequest(
        delivery_id=str(uuid.uuid4()),
        hook_id="hook_marking",
        event_id=event["id"],
        event_key=event["event"],
        payload=json.dumps(event),
        settings=settings,
        attempt=attempt,
    )


@pytest.fixture(scope="session")
def private_key() -> rsa.RSAPrivateKey:
    return new_private_key()


@pytest.fixture
def standin() -> Iterator[SheetsStandIn]:
    server = SheetsStandIn().start()
    yield server
    server.stop()


@pytest.fixture
def key_file(
    tmp_path: Path, private_key: rsa.RSAPrivateKey, standin: SheetsStandIn
) -> Path:
    standin.add_account(ACCOUNT, private_key.public_key())
    return write_key_file(
        tmp_path / "service-account.json", private_key, standin.token_uri
    )


@pytest.fixture
def spreadsheet(standin: SheetsStandIn) -> str:
    standin.add_spreadsheet(
        SPREADSHEET, time_zone="Pacific/Auckland", editors=(ACCOUNT,)
    )
    return SPREADSHEET


@pytest.fixture
def hook_settings(
    key_file: Path, standin: SheetsStandIn, spreadsheet: str
) -> dict[str, Any]:
    """Validated settings of a hook writing to tab "Marking" through the stand-in."""
    return SheetsConnector.validate_settings(
        {
            "spreadsheet": f"https://docs.google.com/spreadsheets/d/{spreadsheet}/edit",
            "worksheet": "Marking",
            "credentials": str(key_file),
            "api_endpoint": standin.url,
        }
    )


@pytest.fixture
def limiter() -> RateLimiter:
    return RateLimiter(limit=1000, period=60.0)


@pytest.fixture
def connector(limiter: RateLimiter) -> Iterator[SheetsConnector]:
    instance = SheetsConnector(
        ConnectorOptions(allow_private_targets=True),
        limiter=limiter,
        timeout=5.0,
        max_wait=0.05,
    )
    yield instance
    instance.close()

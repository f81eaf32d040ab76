"""POSTing a payload to a webhook URL, signed as Standard Webhooks require."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests
from marshmallow import Schema
from urllib3.exceptions import NameResolutionError, NewConnectionError

from connector import __version__
from connector.base import (
    BaseConnector,
    ConnectorOptions,
    DeliveryRequest,
    DeliveryResult,
    Outcome,
)
from connector.errors import InvalidInputError
from connector.signing import headers_for
from connectors.webhook.backoff import backoff
from connectors.webhook.guard import GuardedAdapter, is_public, refusal
from connectors.webhook.settings import WebhookSettingsSchema

logger = logging.getLogger(__name__)

USER_AGENT = f"eventhub/{__version__}"
RESPONSE_LIMIT = 64 * 1024
CONNECT_TIMEOUT = 5.0
RETRY_STATUSES = frozenset({408, 429})


class WebhookConnector(BaseConnector):
    """Delivers each payload as one signed ``POST`` of the stored bytes."""

    name: ClassVar[str] = "webhook"
    settings_schema: ClassVar[type[Schema]] = WebhookSettingsSchema
    signs_payloads = True
    on_gone = "disable"

    #: The setting that holds the target URL.
    url_setting: ClassVar[str] = "url"

    def __init__(self, options: ConnectorOptions | None = None) -> None:
        super().__init__(options)
        self.session = requests.Session()
        # Proxies from the environment would make the guard check the proxy's
        # address instead of the target's.
        self.session.trust_env = False
        if not self.options.allow_private_targets:
            adapter = GuardedAdapter()
            self.session.mount("http://", adapter)
            self.session.mount("https://", adapter)

    @classmethod
    def check_options(
        cls, settings: Mapping[str, Any], options: ConnectorOptions
    ) -> None:
        """Refuse a loopback or private address written in the URL itself.

        Names are not resolved here, since what a name resolves to can change;
        the guard checks every address again when it connects.
        """
        if options.allow_private_targets:
            return

        host = urlsplit(str(settings[cls.url_setting])).hostname or ""
        try:
            private = not is_public(host)
        except ValueError:
            private = host.lower() == "localhost" or host.lower().endswith(".localhost")
        if private:
            raise InvalidInputError(
                "The hook's target is on a private network.",
                {
                    f"settings.{cls.url_setting}": [
                        f"{host} is a loopback, private or link-local address; the "
                        "hub refuses those unless its operator sets "
                        "EVENTHUB_ALLOW_PRIVATE_TARGETS=1 (or serve "
                        "--allow-private-targets)."
                    ]
                },
            )

    def deliver_batch(
        self, requests: Sequence[DeliveryRequest]
    ) -> list[DeliveryResult]:
        """Deliver each payload, leaving targets that just failed alone."""
        results = []
        for request in requests:
            target = _target(str(request.settings[self.url_setting]))
            wait = backoff.remaining(target)
            if wait:
                results.append(
                    DeliveryResult(
                        Outcome.RETRY,
                        error="Not tried: the target did not answer moments ago.",
                        retry_after=wait,
                        attempted=False,
                    )
                )
                continue
            results.append(self.deliver(request))

        return results

    def deliver(self, request: DeliveryRequest) -> DeliveryResult:
        """POST one payload and classify the answer."""
        url = str(request.settings[self.url_setting])
        host = urlsplit(url).hostname or "?"
        timeout = float(request.settings.get("timeout", 10.0))
        headers = self._headers(request)

        started = time.perf_counter()
        result = self._post(url, host, request.payload, headers, timeout)
        result.duration_ms = (time.perf_counter() - started) * 1000
        if result.status_code is not None:
            backoff.answered(_target(url))
        elif result.details.get("unreachable"):
            backoff.failed(_target(url))

        logger.info(
            "%s %s %s -> %s %s in %.0f ms",
            self.name,
            request.event_key,
            request.event_id,
            host,
            result.status_code or result.outcome.value,
            result.duration_ms,
        )
        return result

    def close(self) -> None:
        """Close pooled connections."""
        self.session.close()

    def _headers(self, request: DeliveryRequest) -> dict[str, str]:
        custom: Mapping[str, str] = request.settings.get("headers") or {}
        signed = headers_for(
            request.secrets, request.event_id, int(time.time()), request.payload
        )
        return {
            **custom,
            **signed,
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
        }

    def _post(
        self, url: str, host: str, payload: str, headers: dict[str, str], timeout: float
    ) -> DeliveryResult:
        try:
            response = self.session.post(
                url,
                data=payload.encode("utf-8"),
                headers=headers,
                timeout=(min(CONNECT_TIMEOUT, timeout), timeout),
                allow_redirects=False,
                stream=True,
            )
        except requests.RequestException as exc:
            return _transport_failure(exc, host, timeout)
        except Exception as exc:
            # Settings are checked when the hook is made, so this is a bug or
            # a library surprise; a failed delivery can be replayed once fixed.
            logger.error("posting to %s failed unexpectedly", host, exc_info=exc)
            return DeliveryResult(
                Outcome.FAILED,
                error=f"The request to {host} could not be made: "
                f"{type(exc).__name__}. See the hub's log.",
            )

        try:
            body = response.raw.read(RESPONSE_LIMIT, decode_content=True)
            text = body.decode("utf-8", "replace")
        except Exception:  # a body cut short is no reason to doubt the status
            text = ""
        finally:
            response.close()

        return classify(response.status_code, response.headers, text)


def _target(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def classify(status: int, headers: Mapping[str, str], body: str = "") -> DeliveryResult:
    """Turn an HTTP answer into an outcome, as the delivery rules say."""
    if 200 <= status < 300:
        return DeliveryResult(Outcome.DELIVERED, status, response_body=body)

    if status == 410:
        return DeliveryResult(
            Outcome.GONE,
            status,
            "The target answered 410 Gone: it no longer wants these events.",
            body,
        )

    if status in RETRY_STATUSES or status >= 500:
        return DeliveryResult(
            Outcome.RETRY,
            status,
            f"The target answered {status}; trying again later.",
            body,
            retry_after=parse_retry_after(headers.get("Retry-After")),
        )

    if 300 <= status < 400:
        error = (
            f"The target answered {status}, a redirect; redirects are not "
            "followed, so set the hook's URL to the final address."
        )
    else:
        error = (
            f"The target refused the payload with {status}; a retry would get the "
            "same answer. Fix the receiver, then replay the delivery."
        )
    return DeliveryResult(Outcome.FAILED, status, error, body)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta seconds or an HTTP date."""
    if not value:
        return None

    value = value.strip()
    if re.fullmatch(r"[0-9]{1,9}", value):
        return float(value)

    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, (moment - datetime.now(timezone.utc)).total_seconds())


def _transport_failure(
    exc: requests.RequestException, host: str, timeout: float
) -> DeliveryResult:
    # Messages are written here rather than taken from the exception, whose
    # text holds the full URL, and a URL can carry a secret (Zapier's does).
    refused = refusal(exc)
    if refused is not None:
        message = str(refused).split(": ", 1)[-1]
        return DeliveryResult(Outcome.FAILED, error=message)

    # Only a target that takes no connection at all is paused for everyone;
    # a slow answer may come from one hook's own short timeout.
    unreachable = False
    if isinstance(exc, requests.ConnectTimeout):
        error = f"Connecting to {host} timed out."
        unreachable = True
    elif isinstance(exc, requests.ReadTimeout):
        error = f"{host} did not answer within {timeout:g} s."
    elif isinstance(exc, requests.exceptions.SSLError):
        error = f"The TLS handshake with {host} failed; check its certificate."
    elif isinstance(exc, requests.ConnectionError):
        error = f"Could not connect to {host}: {_root_reason(exc)}."
        unreachable = _never_connected(exc)
    else:
        error = f"The request to {host} failed: {type(exc).__name__}."
    return DeliveryResult(
        Outcome.RETRY, error=error, details={"unreachable": unreachable}
    )


def _never_connected(exc: BaseException) -> bool:
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, (NewConnectionError, NameResolutionError))


def _root_reason(exc: BaseException) -> str:
    current: Any = exc
    for _ in range(10):
        inner = getattr(current, "reason", None) or current.__cause__
        if inner is None and current.args and isinstance(current.args[0], Exception):
            inner = current.args[0]
        if inner is None:
            break
        current = inner

    if isinstance(current, OSError) and current.strerror:
        return current.strerror.lower()
    if "resolution" in type(current).__name__.lower():
        return "the name could not be resolved"
    return type(current).__name__

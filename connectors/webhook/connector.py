"""POSTing a payload to a webhook URL, signed as Standard Webhooks require."""

from __future__ import annotations

import logging
import re
import time
from base64 import b64encode
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from http.client import RemoteDisconnected
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

import certifi
import urllib3
from marshmallow import Schema
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

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
from connectors.webhook.guard import GuardedPoolManager, is_public, refusal
from connectors.webhook.settings import WebhookSettingsSchema

logger = logging.getLogger(__name__)

USER_AGENT = f"eventhub/{__version__}"
RESPONSE_LIMIT = 64 * 1024
CONNECT_TIMEOUT = 5.0
RETRY_STATUSES = frozenset({408, 429})
# Hosts a worker thread keeps connections to; the least recently used beyond
# this are closed.
POOLED_HOSTS = 64


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

        # urllib3 rather than requests: a worker spends most of its time in
        # this one POST, and requests' sessions, cookies and hooks cost more
        # CPU than the request itself (bench/scale_out.py shows both). Each
        # worker thread has its own connector, so one connection per host is
        # enough. urllib3 reads no proxy from the environment, which keeps the
        # guard checking the target's address rather than a proxy's.
        manager = (
            urllib3.PoolManager
            if self.options.allow_private_targets
            else GuardedPoolManager
        )
        self.pool = manager(
            num_pools=POOLED_HOSTS,
            maxsize=1,
            retries=False,
            ca_certs=certifi.where(),
        )

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
        headers = self._headers(request, url)

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
        self.pool.clear()

    def _headers(self, request: DeliveryRequest, url: str) -> dict[str, str]:
        custom: Mapping[str, str] = request.settings.get("headers") or {}
        signed = headers_for(
            request.secrets, request.event_id, int(time.time()), request.payload
        )
        own_auth = any(name.lower() == "authorization" for name in custom)
        return {
            **({} if own_auth else _basic_auth(url)),
            **custom,
            **signed,
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
        }

    def _post(
        self, url: str, host: str, payload: str, headers: dict[str, str], timeout: float
    ) -> DeliveryResult:
        try:
            response = self._send(url, payload.encode("utf-8"), headers, timeout)
        except HTTPError as exc:
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

        return classify(response.status, response.headers, _read_answer(response))

    def _send(
        self, url: str, body: bytes, headers: dict[str, str], timeout: float
    ) -> urllib3.BaseHTTPResponse:
        """POST once, or twice if a kept-alive connection had been dropped.

        A target may close an idle connection just as a request goes out on
        it; that says nothing about the target, so the request is sent again
        at once on a new connection. Receivers deduplicate on ``webhook-id``,
        so the rare second copy of a request that did arrive is harmless.
        """
        for last in (False, True):
            try:
                return self.pool.urlopen(
                    "POST",
                    url,
                    body=body,
                    headers=headers,
                    timeout=urllib3.Timeout(
                        connect=min(CONNECT_TIMEOUT, timeout), read=timeout
                    ),
                    redirect=False,
                    preload_content=False,
                )
            except ProtocolError as exc:
                if last or not isinstance(_root(exc), ConnectionError):
                    raise
                logger.debug("a kept-alive connection was closed; sending again")

        raise AssertionError("unreachable")


def _read_answer(response: urllib3.BaseHTTPResponse) -> str:
    """The start of the answer's body; the connection is kept only if all was read."""
    body = b""
    try:
        body = response.read(RESPONSE_LIMIT, decode_content=True)
    except Exception:  # a body cut short is no reason to doubt the status
        response.close()
    else:
        if len(body) >= RESPONSE_LIMIT:
            # Reading the rest of a large answer to keep the connection
            # would cost more than opening a new one.
            response.close()
    finally:
        response.release_conn()

    return body.decode("utf-8", "replace")


def _basic_auth(url: str) -> dict[str, str]:
    """An ``Authorization`` header from a URL's ``user:password@``, as curl does.

    urllib3 does not send what a URL carries before its host. The pair is
    encoded as UTF-8, as RFC 7617 says receivers should expect.
    """
    parts = urlsplit(url)
    if parts.username is None:
        return {}
    pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    return {"Authorization": "Basic " + b64encode(pair.encode()).decode("ascii")}


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


def _transport_failure(exc: HTTPError, host: str, timeout: float) -> DeliveryResult:
    # Messages are written here rather than taken from the exception, whose
    # text holds the full URL, and a URL can carry a secret (Zapier's does).
    refused = refusal(exc)
    if refused is not None:
        message = str(refused).split(": ", 1)[-1]
        return DeliveryResult(Outcome.FAILED, error=message)

    # Only a target that takes no connection at all is paused for everyone;
    # a slow answer may come from one hook's own short timeout. Subclasses
    # come first: a refused connection is also a kind of connect timeout.
    unreachable = False
    if isinstance(exc, NewConnectionError):
        error = f"Could not connect to {host}: {_root_reason(exc)}."
        unreachable = True
    elif isinstance(exc, ConnectTimeoutError):
        error = f"Connecting to {host} timed out."
        unreachable = True
    elif isinstance(exc, ReadTimeoutError):
        error = f"{host} did not answer within {timeout:g} s."
    elif isinstance(exc, SSLError):
        error = f"The TLS handshake with {host} failed; check its certificate."
    elif isinstance(exc, ProtocolError):
        error = f"The connection to {host} broke: {_root_reason(exc)}."
    else:
        error = f"The request to {host} failed: {type(exc).__name__}."
    return DeliveryResult(
        Outcome.RETRY, error=error, details={"unreachable": unreachable}
    )


def _root(exc: BaseException) -> BaseException:
    """The innermost exception that ``exc`` wraps."""
    current: Any = exc
    for _ in range(10):
        inner = getattr(current, "reason", None) or current.__cause__
        if inner is None:
            inner = next(
                (arg for arg in current.args if isinstance(arg, BaseException)), None
            )
        if inner is None:
            break
        current = inner

    return current


def _root_reason(exc: BaseException) -> str:
    current = _root(exc)
    if isinstance(current, RemoteDisconnected):
        return "it closed the connection without answering"
    if isinstance(current, OSError) and current.strerror:
        return current.strerror.lower()
    if "resolution" in type(current).__name__.lower():
        return "the name could not be resolved"
    return type(current).__name__

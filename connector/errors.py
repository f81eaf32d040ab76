"""The exceptions eventhub raises.

Everything eventhub raises on purpose derives from :class:`EventhubError`::

    EventhubError
    ├── ConfigError              a setting or hook configuration is wrong
    ├── InvalidInputError        input failed validation; carries field errors
    │   └── MalformedInputError  the body is not JSON at all
    ├── NotFoundError            an id unknown to the caller's organisation
    ├── AuthError                no API key, or a key that is not valid
    ├── RegistryError            a connector name is unknown or taken twice
    └── DeliveryError            a connector could not deliver a payload
        ├── RetryableDeliveryError   try again later
        └── PermanentDeliveryError   trying again will not help

Connectors translate the errors of the libraries they use into the delivery
errors once, at their boundary, chaining the original with ``from``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class EventhubError(Exception):
    """Base class of every error eventhub raises on purpose."""


class ConfigError(EventhubError):
    """A setting, flag or hook configuration is wrong and must be changed."""


class InvalidInputError(EventhubError):
    """Input failed validation.

    Args:
        message: A sentence saying what was wrong.
        fields: Field path (dotted, list indexes as numbers) to reasons.
    """

    def __init__(
        self, message: str, fields: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = {path: list(reasons) for path, reasons in (fields or {}).items()}


class MalformedInputError(InvalidInputError):
    """The body could not be parsed as JSON."""


class NotFoundError(EventhubError):
    """An id that does not exist for the caller's organisation."""


class AuthError(EventhubError):
    """No API key was given, or the key is unknown or revoked."""


class RegistryError(EventhubError):
    """A connector name is unknown, or two connectors claim the same name."""


class DeliveryError(EventhubError):
    """A connector failed to deliver a payload.

    Args:
        message: What went wrong and, where it helps, what to do about it.
        status_code: The target's HTTP status, when there was one.
    """

    retryable = False

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class RetryableDeliveryError(DeliveryError):
    """A failure that may pass: a timeout, a 5xx, a quota.

    Args:
        message: What went wrong.
        status_code: The target's HTTP status, when there was one.
        retry_after: Seconds the target asked us to wait, if it said.
    """

    retryable = True

    def __init__(
        self,
        message: str,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status_code)
        self.retry_after = retry_after


class PermanentDeliveryError(DeliveryError):
    """A failure that trying again cannot fix: a refused target, a 4xx."""


def flatten_field_errors(messages: object, prefix: str = "") -> dict[str, list[str]]:
    """Turn marshmallow's nested error dict into ``{"a.b.0": [reasons]}``.

    Args:
        messages: The ``messages`` of a marshmallow ``ValidationError``.
        prefix: The path of the object the messages belong to.

    Returns:
        A flat mapping of dotted field paths to lists of reasons.
    """
    if isinstance(messages, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                path = prefix or "_schema"
            for sub_path, reasons in flatten_field_errors(value, path).items():
                flat.setdefault(sub_path, []).extend(reasons)
        return flat

    if isinstance(messages, (list, tuple)):
        if all(isinstance(item, str) for item in messages):
            return {prefix: list(messages)}

        flat = {}
        for item in messages:
            for sub_path, reasons in flatten_field_errors(item, prefix).items():
                flat.setdefault(sub_path, []).extend(reasons)
        return flat

    return {prefix: [str(messages)]}

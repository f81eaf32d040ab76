"""What an output connector is: the contract between the workers and a target.

A connector receives :class:`DeliveryRequest` objects, each carrying the exact
payload bytes a hook must receive, and answers each with a
:class:`DeliveryResult` whose outcome is one of a small fixed set. The workers
own retries, leases and bookkeeping; a connector only talks to its target.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from marshmallow import Schema, ValidationError

from connector.errors import InvalidInputError, flatten_field_errors


class Outcome(str, enum.Enum):
    """How one delivery attempt ended."""

    DELIVERED = "delivered"
    RETRY = "retry"
    FAILED = "failed"
    GONE = "gone"


@dataclass(frozen=True)
class DeliveryRequest:
    """One payload to hand to a target.

    Attributes:
        delivery_id: The delivery row this attempt belongs to.
        hook_id: The hook that wants the payload.
        event_id: The event's own id; receivers deduplicate on it.
        event_key: The event type, e.g. ``task.assessed.marked``.
        payload: The serialised body, sent byte for byte on every attempt.
        settings: The hook's connector settings, already validated.
        secrets: The hook's signing secrets still in force, newest first.
        attempt: The number of this attempt, starting at 1.
    """

    delivery_id: str
    hook_id: str
    event_id: str
    event_key: str
    payload: str
    settings: Mapping[str, Any]
    secrets: Sequence[str] = ()
    attempt: int = 1


@dataclass
class DeliveryResult:
    """What became of one attempt.

    Attributes:
        outcome: Delivered, retry, failed for good, or gone.
        status_code: The target's HTTP status, when there was one.
        error: A sentence for the delivery record; never holds a secret.
        response_body: The start of what the target answered.
        retry_after: Seconds the target asked us to wait before retrying.
        duration_ms: How long the attempt took.
        details: Connector-specific facts worth keeping, e.g. the row written.
        attempted: False when the connector did not try at all (its target
            was found down moments ago); the delivery then waits without
            spending one of its tries.
    """

    outcome: Outcome
    status_code: int | None = None
    error: str | None = None
    response_body: str | None = None
    retry_after: float | None = None
    duration_ms: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)
    attempted: bool = True


@dataclass(frozen=True)
class ConnectorOptions:
    """Operator choices that every connector instance honours.

    Attributes:
        allow_private_targets: Permit loopback, private and link-local
            targets; off by default so that a hook cannot reach the hub's own
            network.
    """

    allow_private_targets: bool = False


class BaseConnector(abc.ABC):
    """Base class of every output connector.

    Subclasses set :attr:`name` and :attr:`settings_schema`, and implement
    :meth:`deliver`. One instance serves one worker thread, so an instance may
    keep connections open between calls without locking.

    Args:
        options: The operator's choices, such as whether private targets
            are allowed.
    """

    #: The name hooks use in their ``connector`` field.
    name: ClassVar[str]

    #: Checks and normalises a hook's ``settings`` when it is created.
    settings_schema: ClassVar[type[Schema]]

    #: Whether the hook must carry a signing secret (the HTTP connectors do).
    signs_payloads: ClassVar[bool] = False

    #: What a 410 from the target does to the hook: ``disable`` or ``delete``.
    on_gone: ClassVar[str] = "disable"

    #: Whether :meth:`deliver_batch` sends many payloads in one request. The
    #: worker hands other connectors one payload at a time, so that it can
    #: look for a stop, a lost lease or a target gone slow between requests.
    sends_batches: ClassVar[bool] = False

    def __init__(self, options: ConnectorOptions | None = None) -> None:
        self.options = options or ConnectorOptions()

    @classmethod
    def validate_settings(cls, settings: Mapping[str, Any] | None) -> dict[str, Any]:
        """Check a hook's settings and return them normalised.

        Raises:
            InvalidInputError: naming each bad setting as ``settings.<name>``.
        """
        try:
            loaded = cls.settings_schema().load(dict(settings or {}))
        except ValidationError as exc:
            fields = flatten_field_errors(exc.messages, "settings")
            raise InvalidInputError(
                f"The settings of the {cls.name!r} connector are not valid.", fields
            ) from exc

        return dict(loaded)

    @classmethod
    def check_hook(cls, settings: Mapping[str, Any], events: Sequence[str]) -> None:
        """Check settings against the event patterns of the hook they belong to.

        Called when a hook is created or changed, after :meth:`validate_settings`.
        The default accepts everything.

        Raises:
            InvalidInputError: naming the bad setting as ``settings.<name>``.
        """

    @classmethod
    def check_options(
        cls, settings: Mapping[str, Any], options: ConnectorOptions
    ) -> None:
        """Check settings against what the operator allows, e.g. private targets.

        Raises:
            InvalidInputError: naming the setting and the operator's switch.
        """

    @abc.abstractmethod
    def deliver(self, request: DeliveryRequest) -> DeliveryResult:
        """Deliver one payload and say how it went. Must not raise."""

    def deliver_batch(
        self, requests: Sequence[DeliveryRequest]
    ) -> list[DeliveryResult]:
        """Deliver several payloads; targets that take batches override this.

        Returns:
            One result per request, in the same order.
        """
        return [self.deliver(request) for request in requests]

    def close(self) -> None:
        """Release what the instance holds open, such as HTTP connections."""

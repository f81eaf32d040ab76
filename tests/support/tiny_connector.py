"""A third-party connector package, written to disk and installed for real.

``importlib.metadata`` finds a distribution by its ``*.dist-info`` folder on
``sys.path``, so writing one beside a package makes its entry points visible
exactly as ``pip install`` would, without installing anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

TINY_SOURCE = '''\
"""A connector that appends each payload, one per line, to a local file."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields

from connector.base import BaseConnector, DeliveryRequest, DeliveryResult, Outcome


class TinySettingsSchema(Schema):
    class Meta:
        unknown = RAISE

    path = fields.String(required=True)


class TinyConnector(BaseConnector):
    name = "tiny"
    settings_schema = TinySettingsSchema

    def deliver(self, request: DeliveryRequest) -> DeliveryResult:
        with open(request.settings["path"], "a", encoding="utf-8") as file:
            file.write(request.payload + "\\n")

        return DeliveryResult(Outcome.DELIVERED)


class MisnamedConnector(TinyConnector):
    name = "not-misnamed"
'''

BROKEN_SOURCE = 'raise ImportError("eventhub_broken needs libnothing, not installed")\n'


def install_distribution(
    root: Path,
    name: str,
    entry_points: Mapping[str, str],
    modules: Mapping[str, str] | None = None,
) -> None:
    """Write packages and a ``dist-info`` declaring ``eventhub.connectors``.

    Args:
        root: A folder that the caller puts on ``sys.path``.
        name: The distribution's name.
        entry_points: Connector name to ``module:Class``.
        modules: Package name to the source of its ``__init__.py``.
    """
    for module, source in (modules or {}).items():
        package = root / module
        package.mkdir()
        (package / "__init__.py").write_text(source, encoding="utf-8")

    info = root / f"{name}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n", encoding="utf-8"
    )
    lines = "".join(f"{key} = {value}\n" for key, value in entry_points.items())
    (info / "entry_points.txt").write_text(
        f"[eventhub.connectors]\n{lines}", encoding="utf-8"
    )


def install_tiny(root: Path) -> None:
    """Install ``eventhub_tiny`` (connector ``tiny``) under ``root``."""
    install_distribution(
        root,
        "eventhub_tiny",
        {"tiny": "eventhub_tiny:TinyConnector"},
        {"eventhub_tiny": TINY_SOURCE},
    )

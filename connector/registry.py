"""Finding connectors by name.

Built-in and third-party connectors are declared the same way, as entries of
the ``eventhub.connectors`` entry-point group, and each is loaded the first
time its name is asked for. Tests and embedders may also register a class directly.
"""

from __future__ import annotations

import logging
import threading
from importlib.metadata import EntryPoint, entry_points

from connector.base import BaseConnector, ConnectorOptions
from connector.errors import RegistryError

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "eventhub.connectors"


class ConnectorRegistry:
    """Maps connector names to connector classes."""

    def __init__(self) -> None:
        self._classes: dict[str, type[BaseConnector]] = {}
        self._sources: dict[str, str] = {}
        self._found: dict[str, EntryPoint] | None = None
        self._lock = threading.RLock()

    def register(self, cls: type[BaseConnector], source: str = "code") -> None:
        """Add a connector class under its ``name``.

        Raises:
            RegistryError: if another class already holds that name.
        """
        name = getattr(cls, "name", None)
        if not isinstance(name, str) or not name:
            raise RegistryError(
                f"{cls.__qualname__} has no 'name'; set a class attribute such as "
                "name = 'mytarget'."
            )

        existing = self._classes.get(name)
        if existing is not None and existing is not cls:
            raise RegistryError(
                f"Two connectors are named {name!r}: {self._sources[name]} and "
                f"{source}. Rename one, or uninstall the package you do not want."
            )

        self._classes[name] = cls
        self._sources[name] = source

    def get(self, name: str) -> type[BaseConnector]:
        """Return the connector class called ``name``, loading it if need be.

        Raises:
            RegistryError: naming the connectors that do exist, or saying why
                the one asked for could not be loaded.
        """
        if name in self._classes:
            return self._classes[name]

        entry = self._entry_points().get(name)
        if entry is None:
            known = ", ".join(self.names()) or "none"
            raise RegistryError(
                f"No connector is named {name!r}; the installed ones are: {known}."
            )

        with self._lock:
            if name not in self._classes:
                self._load(name, entry)

        return self._classes[name]

    def create(
        self, name: str, options: ConnectorOptions | None = None
    ) -> BaseConnector:
        """Return a new instance of the connector called ``name``."""
        return self.get(name)(options)

    def names(self) -> list[str]:
        """Return the names of every known connector, sorted, loading none."""
        return sorted(set(self._classes) | set(self._entry_points()))

    def _entry_points(self) -> dict[str, EntryPoint]:
        if self._found is None:
            self._found = {
                entry.name: entry for entry in entry_points(group=ENTRY_POINT_GROUP)
            }

        return self._found

    def _load(self, name: str, entry: EntryPoint) -> None:
        # Loaded one at a time, when first asked for, so that one broken
        # third-party package cannot stop the others from working.
        try:
            cls = entry.load()
        except Exception as exc:
            raise RegistryError(
                f"The connector {name!r} ({entry.value}) failed to load: {exc}. "
                "Reinstall or remove the package that provides it."
            ) from exc

        if getattr(cls, "name", None) != name:
            raise RegistryError(
                f"The entry point {name!r} ({entry.value}) loads a connector named "
                f"{getattr(cls, 'name', None)!r}; the two names must match."
            )

        self.register(cls, source=f"entry point {entry.value}")
        logger.debug("loaded connector %s from %s", name, entry.value)


registry = ConnectorRegistry()

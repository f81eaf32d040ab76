"""eventhub: durable, signed delivery of iQualify learning events.

The core lives here: the event catalogue, the mapper that decides which hooks
want an event, the SQL store, the delivery workers, the Flask app and the
command line. Output connectors live in the sibling ``connectors`` package and
plug in through the ``eventhub.connectors`` entry-point group.
"""

from __future__ import annotations

__version__ = "0.1.0"

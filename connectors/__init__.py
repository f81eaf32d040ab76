"""Output connectors shipped with eventhub: webhook, zapier and sheets."""

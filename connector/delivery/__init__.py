"""Durable delivery: the retry schedule and the workers that claim and deliver."""

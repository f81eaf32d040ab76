"""Tests of the Zapier connector, its routes and its integration definition."""

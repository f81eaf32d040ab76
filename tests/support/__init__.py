"""Test helpers: a scriptable receiving server and a hub served for real."""

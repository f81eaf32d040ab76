"""Lets ``python -m connector.cli`` run the command line."""

from connector.cli import main

main()

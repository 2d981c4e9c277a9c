"""The ``dunwell`` command line (Typer).

``main.py`` holds the one Typer ``app`` and registers each command; every command
lives in its own module (``schedule.py``, ...), parses and validates its options,
calls the layers below and prints either a Rich table for people or JSON for
programs. Bad input is one line on stderr and exit code 2.
"""

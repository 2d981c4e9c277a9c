"""Secure headers, CORS (closed unless origins are configured) and abuse limits."""

from __future__ import annotations

from fastapi import FastAPI

from dunwell.settings import Settings


def add_security(api: FastAPI, settings: Settings) -> None:
    """Install the security middleware on ``api``."""

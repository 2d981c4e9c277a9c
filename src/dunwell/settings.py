"""Settings: one pydantic-settings class, every variable prefixed ``DUNWELL_``."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DUNWELL_", extra="ignore")

    #: Where the book lives. The embedded default is a SQLite file under ``var/``.
    db_url: str = Field(default_factory=lambda: f"sqlite:///{Path('var') / 'dunwell.sqlite'}")
    #: COB partitions: each is loaded, closed and committed on its own.
    partitions: int = Field(default=8, ge=1, le=4096)
    #: Structured log format: "console" for people, "json" for machines.
    log_format: str = "console"
    log_level: str = "INFO"
    #: Letters: the secret behind verification codes (HMAC-SHA256). The default is
    #: for development only; set a long random value in production.
    letter_secret: str = "dunwell-dev-letter-secret-not-for-production"
    #: Letters: the borrower portal's base URL; verification QR codes point at
    #: ``{portal_base_url}/letters/verify/{code}``.
    portal_base_url: str = "http://127.0.0.1:8000"
    #: Letters: the CJK TrueType font embedded in PDFs (Debian: fonts-wqy-zenhei).
    cjk_font: Path = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")

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
    #: Channels: which provider sends each channel. ``local`` writes to the outbox
    #: file (works offline); ``sms_http`` / ``email_http`` call the HTTP APIs below;
    #: any name registered under the ``dunwell.channel_providers`` entry points works.
    sms_provider: str = "local"
    email_provider: str = "local"
    in_app_provider: str = "local"
    voice_provider: str = "local"
    #: Channels: where the local providers append JSON lines (one file per channel).
    outbox_dir: Path = Path("var/outbox")
    #: Channels: the SMS HTTP API (``POST {base}/v1/messages``, bearer token).
    sms_http_base_url: str = "http://127.0.0.1:8025"
    sms_http_token: str = ""
    sms_http_sender: str = "Dunwell"
    sms_http_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    #: Channels: the e-mail HTTP API (``POST {base}/v1/emails``, bearer token).
    email_http_base_url: str = "http://127.0.0.1:8026"
    email_http_token: str = ""
    email_http_sender: str = "Dunwell <no-reply@dunwell.invalid>"
    email_http_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    #: Channels: when set, delivery-status callbacks must carry
    #: ``Authorization: Bearer <token>``.
    channels_callback_token: str = ""
    #: Channels: the outbox's retries: attempts before a message is dead, the first
    #: back-off and its cap (seconds), and how long a dispatcher's claim lasts.
    outbox_attempts_max: int = Field(default=6, ge=1, le=100)
    outbox_backoff_base_seconds: int = Field(default=30, ge=1)
    outbox_backoff_cap_seconds: int = Field(default=3600, ge=1)
    outbox_lease_seconds: int = Field(default=300, ge=1)
    #: Messages: the lender's name and how borrowers reach a person, as templates say.
    lender_name: str = "Dunwell Microfinance"
    support_contact: str = "400-800-1234"
    #: HTTP: the largest request body the API reads (bytes); larger is 413.
    request_body_bytes_max: int = Field(default=1024 * 1024, ge=1024, le=1024**3)
    #: HTTP: the largest evidence bundle ZIP ``POST /v1/legal/bundles/verify`` takes; it
    #: is streamed to a temporary file, never held whole in memory while it arrives.
    bundle_upload_bytes_max: int = Field(default=64 * 1024 * 1024, ge=1024, le=1024**3)
    #: Bundles: what a ZIP may hold before anything is extracted (members, bytes when
    #: extracted, and how many times a member larger than 1 MiB may expand).
    bundle_members_max: int = Field(default=10_000, ge=1, le=100_000)
    bundle_uncompressed_bytes_max: int = Field(default=256 * 1024 * 1024, ge=1024,
                                               le=4 * 1024**3)
    bundle_compression_ratio_max: int = Field(default=200, ge=1, le=10_000)

"""Settings: one typed class, every variable prefixed ``DUNWELL_``.

Each field is read from the environment variable ``DUNWELL_<NAME>`` (any case), or
given as a keyword (which wins over the environment); an unset field takes its
default. The values are checked and converted by pydantic-core, the engine under
pydantic, so a bad value fails as it did when this class was a pydantic-settings
model: a ``pydantic.ValidationError`` naming the field (``partitions: Input should be
a valid integer...``). The class is a plain dataclass because building a
pydantic-settings model cost every command a noticeable part of its start.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from dataclasses import Field as _DataclassField
from dataclasses import field as _field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from pydantic_core import SchemaValidator

#: The environment variables' prefix (matched in any case, like the names after it).
ENV_PREFIX = "DUNWELL_"


def Field(*, default: Any = MISSING, default_factory: Any = MISSING,  # noqa: N802
          **limits: float) -> Any:
    """A field with its default and its bounds (``ge``, ``gt``, ``le``), as the
    environment's value is checked against them."""
    return _field(default=default, default_factory=default_factory, metadata=limits)


@dataclass(init=False)
class Settings:
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
    #: Channels: the outbox's retries: attempts before a message is dead, the first
    #: back-off and its cap (seconds), and how long a dispatcher's claim lasts.
    outbox_attempts_max: int = Field(default=6, ge=1, le=100)
    outbox_backoff_base_seconds: int = Field(default=30, ge=1)
    outbox_backoff_cap_seconds: int = Field(default=3600, ge=1)
    outbox_lease_seconds: int = Field(default=300, ge=1)
    #: Messages: the lender's name and how borrowers reach a person, as templates say.
    lender_name: str = "Dunwell Microfinance"
    support_contact: str = "400-800-1234"
    #: Letters and messages: who the lender is, as every letter and message names it,
    #: in English and Chinese (one name everywhere: reminder, visit notice, demand
    #: letter, messages). An empty legal name falls back to ``lender_name``; an empty
    #: Chinese value falls back to the English one.
    lender_legal_name: str = "Dunwell Microfinance Ltd."
    lender_legal_name_zh: str = "敦维小额贷款有限公司"
    #: Letters: where borrowers write to, in each language (lines separated by ``;``).
    lender_postal_address: str = ("Customer Care, Dunwell Microfinance Ltd.; 18/F, 1000 "
                                  "Century Avenue, Pudong New Area; Shanghai 200120, China")
    lender_postal_address_zh: str = ("上海市浦东新区世纪大道1000号18楼; "
                                     "敦维小额贷款有限公司 客户关怀部; 邮编 200120")
    #: Letters: the phone number borrowers call (empty: ``support_contact``), the
    #: e-mail address and the service hours in each language.
    lender_phone: str = ""
    lender_email: str = "care@dunwell.example"
    lender_hours: str = "Monday to Friday, 09:00-18:00 (China Standard Time)"
    lender_hours_zh: str = "周一至周五 9:00-18:00（北京时间）"
    #: Letters: the public address of the borrower portal printed on letters (the
    #: verification page ``{public_base_url}/letters/verify``, the plan and learning
    #: pages). Empty: ``portal_base_url``. A loopback address (127.0.0.1, localhost)
    #: is never printed on a letter unless ``public_url_loopback_allowed`` is set for
    #: development; without it the letter shows no web address and sends the reader
    #: to the phone line instead.
    public_base_url: str = ""
    public_url_loopback_allowed: bool = False
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
    #: The day loop (``dunwell day run``): where the early-warning model is registered
    #: (the latest version scores the book after each close; none there: the step is
    #: skipped with its reason), which router plans the field visits and for how long.
    early_warning_model_dir: Path = Path("var/models/early_warning")
    day_router: str = "vroom"
    day_routing_seconds: int = Field(default=2, ge=1, le=600)
    #: Origination: the credit bureau's records as a local file (JSON or CSV) the credit
    #: review reads debts elsewhere from. Unset: no bureau is consulted, and a missing
    #: bureau report does not make a thin file.
    bureau_file: Path | None = None

    # --- Access and data protection (docs/security.md) ------------------------------
    #: Development mode: missing secrets and keys fall back to fixed development values
    #: (with a warning) and cookies need not be HTTPS-only. ``serve`` refuses to start
    #: without this flag when any secret below is missing or a development value.
    dev_mode: bool = False
    #: Field encryption keys, newest first: ``"ID:BASE64KEY,ID:BASE64KEY"`` where each
    #: key is 32 random bytes (AES-256-GCM). New values are written under the first;
    #: older ones are read until ``dunwell keys rotate`` has re-encrypted them.
    data_keys: str = ""
    #: The key (base64, 32 bytes) of the keyed hash that finds a borrower by phone
    #: number or e-mail address without storing either in clear.
    lookup_key: str = ""
    #: The secret providers sign delivery callbacks with (HMAC-SHA256 over
    #: "timestamp.body"); callbacks outside ``callback_window_seconds`` are refused.
    callback_secret: str = ""
    callback_window_seconds: int = Field(default=300, ge=10, le=3600)
    #: Web sessions and API tokens.
    session_ttl_minutes: int = Field(default=480, ge=5, le=10_080)
    token_ttl_days: int = Field(default=90, ge=1, le=3650)
    otp_ttl_seconds: int = Field(default=300, ge=60, le=3600)
    cookie_secure: bool = True
    #: Origins allowed by CORS, comma-separated; empty (the default) allows none.
    cors_origins: str = ""
    #: Abuse limits, per client address and per account, per minute.
    sign_in_attempts_per_minute: int = Field(default=10, ge=1, le=10_000)
    otp_requests_per_hour: int = Field(default=5, ge=1, le=10_000)
    letter_checks_per_minute: int = Field(default=30, ge=1, le=100_000)
    portal_requests_per_minute: int = Field(default=120, ge=1, le=100_000)


    #: Each field by name (its ``.default``), as pydantic models offer them.
    model_fields: ClassVar[Mapping[str, _DataclassField[Any]]]

    def __init__(self, **values: Any) -> None:
        """The settings from ``values`` (keywords), then the environment, then the
        defaults; unknown keywords are ignored. Raises ``pydantic.ValidationError``
        when a value given or read does not fit its field."""
        env = {k.lower(): v for k, v in os.environ.items()
               if k[:len(ENV_PREFIX)].upper() == ENV_PREFIX}
        given: dict[str, Any] = {}
        for f in fields(self):
            if f.name in values:
                given[f.name] = values[f.name]
            elif (ENV_PREFIX.lower() + f.name) in env:
                given[f.name] = env[ENV_PREFIX.lower() + f.name]
        checked = _validator().validate_python(given) if given else {}
        for f in fields(self):
            if f.name in checked:
                value = checked[f.name]
            elif f.default_factory is not MISSING:
                value = f.default_factory()
            else:
                value = f.default
            setattr(self, f.name, value)

    def model_copy(self, *, update: Mapping[str, Any] | None = None) -> Settings:
        """A copy with ``update``'s fields replaced (not checked, as pydantic's
        ``model_copy`` does not check them either)."""
        changed = copy.copy(self)
        for name, value in (update or {}).items():
            setattr(changed, name, value)
        return changed


Settings.model_fields = {f.name: f for f in fields(Settings)}


def _path(value: Any) -> Path:
    """A path from a string or a path, as pydantic converts one."""
    from pydantic_core import PydanticCustomError

    if isinstance(value, Path):
        return value
    if isinstance(value, str):
        return Path(value)
    raise PydanticCustomError("path_type", f"Input is not a valid path for {Path}")


@cache
def _validator() -> SchemaValidator:
    """pydantic-core's validator of every field (each optional: only the values given
    or found in the environment are checked), built once per process."""
    from pydantic_core import SchemaValidator, core_schema

    def path() -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(_path)

    by_type: dict[str, Any] = {
        "str": lambda **limits: core_schema.str_schema(),
        "bool": lambda **limits: core_schema.bool_schema(),
        "int": lambda **limits: core_schema.int_schema(**limits),
        "float": lambda **limits: core_schema.float_schema(**limits),
        "Path": lambda **limits: path(),
        "Path | None": lambda **limits: core_schema.nullable_schema(path()),
    }
    schema = core_schema.typed_dict_schema(
        {f.name: core_schema.typed_dict_field(by_type[str(f.type)](**f.metadata),
                                              required=False)
         for f in fields(Settings)},
        extra_behavior="ignore", config=core_schema.CoreConfig(title="Settings"))
    return SchemaValidator(schema)

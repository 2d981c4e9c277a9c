"""Column types that keep personal data encrypted at rest.

:class:`EncryptedText` and :class:`EncryptedNumber` are stored as text ciphertexts
(:mod:`dunwell.store.crypto`): a value is sealed when it is bound to a statement and
opened when a row is read, so repositories and services go on handling plain ``str``
and ``float``. Each column names itself (``"table.column"``) as the associated data.
A stored value without the ciphertext prefix is a row written before encryption and
is read as it is, until ``dunwell keys rotate`` seals it.

What SQL can no longer do on such a column: compare it with a value (every sealing
uses a fresh nonce), sort, group or do arithmetic on it. Find a row by a keyed hash
column instead (``channel_addresses.address_hash``), and sort in Python. To compare
the stored text itself (the key rotation does), coerce the column to ``Text`` with
``sqlalchemy.type_coerce`` so the bound value is not sealed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Dialect, Text
from sqlalchemy.types import TypeDecorator

from dunwell.store.crypto import keyring


class EncryptedText(TypeDecorator[str]):
    """Text sealed with AES-256-GCM under the process's newest data key."""

    impl = Text
    cache_ok = True

    def __init__(self, column: str) -> None:
        super().__init__()
        #: ``table.column``: the associated data, so a value opens only where it was sealed.
        self.column = column

    @property
    def python_type(self) -> type[Any]:
        return str

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return keyring().encrypt(str(value), column=self.column)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return keyring().decrypt(str(value), column=self.column)


class EncryptedNumber(TypeDecorator[float]):
    """A number (coordinates) stored as a sealed text and read back as ``float``."""

    impl = Text
    cache_ok = True

    def __init__(self, column: str) -> None:
        super().__init__()
        self.column = column

    @property
    def python_type(self) -> type[Any]:
        return float

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return keyring().encrypt(repr(float(value)), column=self.column)

    def process_result_value(self, value: Any, dialect: Dialect) -> float | None:
        if value is None:
            return None
        return float(keyring().decrypt(str(value), column=self.column))


#: The encrypted column types, for code that looks for them in the metadata.
ENCRYPTED_TYPES = (EncryptedText, EncryptedNumber)

__all__ = ["ENCRYPTED_TYPES", "EncryptedNumber", "EncryptedText"]

"""Personal data is sealed with AES-256-GCM under versioned keys: a value opens only
under its key and in its column, a row written before encryption reads as it was,
and a borrower is found by phone or e-mail through a keyed hash."""

from __future__ import annotations

import base64
import datetime as dt
import importlib
import pkgutil
import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from structlog.testing import capture_logs

import dunwell.store
from dunwell.app.channels.outbox import set_channel_address
from dunwell.app.collections.contacts import record_inbound_message
from dunwell.bootstrap import Dunwell, bootstrap
from dunwell.channels.model import MessageChannel
from dunwell.compliance.model import Jurisdiction
from dunwell.core.errors import InvalidInput
from dunwell.field.model import Address, GeoPoint
from dunwell.settings import Settings
from dunwell.store import crypto
from dunwell.store.channel_tables import channel_addresses
from dunwell.store.collection_tables import borrowers
from dunwell.store.crypto import CiphertextUnreadable, DataKey, Keyring, normalise
from dunwell.store.encrypted import ENCRYPTED_TYPES
from dunwell.store.field_tables import borrower_addresses
from dunwell.store.tables import metadata

NOW = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
CIPHERTEXT = re.compile(r"enc:v1:([A-Za-z0-9.-]+):[A-Za-z0-9+/]+=*")


def secret(n: int) -> bytes:
    return bytes([n]) * 32


def b64(n: int) -> str:
    return base64.b64encode(secret(n)).decode()


def ring(*ids: tuple[str, int], lookup: int = 99) -> Keyring:
    return Keyring([DataKey(k, secret(n)) for k, n in ids], secret(lookup))


@pytest.fixture(autouse=True)
def development_keys_after() -> Iterator[None]:
    yield
    crypto.configure(Settings(data_keys="", lookup_key=""))


# --- the format and the keys ------------------------------------------------------------

def test_a_value_is_sealed_as_versioned_text_and_opens_again() -> None:
    keys = ring(("k1", 1))
    sealed = keys.encrypt("王芳, +8613800000001", column="borrowers.name")
    assert CIPHERTEXT.fullmatch(sealed) and sealed.startswith("enc:v1:k1:")
    assert "王芳" not in sealed and "13800000001" not in sealed
    assert keys.decrypt(sealed, column="borrowers.name") == "王芳, +8613800000001"
    # a fresh nonce each time: the same name twice is two different texts
    assert keys.encrypt("王芳", column="borrowers.name") != keys.encrypt("王芳",
                                                                        column="borrowers.name")
    raw = base64.b64decode(sealed.split(":", 3)[3])
    assert len(raw) == 12 + len("王芳, +8613800000001".encode()) + 16  # nonce, text, tag


def test_a_value_moved_to_another_column_does_not_open() -> None:
    keys = ring(("k1", 1))
    sealed = keys.encrypt("Adaeze Quarrington", column="borrowers.name")
    with pytest.raises(CiphertextUnreadable, match=r"applicants\.name"):
        keys.decrypt(sealed, column="applicants.name")


def test_a_value_under_another_key_of_the_same_id_does_not_open() -> None:
    sealed = ring(("k1", 1)).encrypt("Adaeze Quarrington", column="borrowers.name")
    with pytest.raises(CiphertextUnreadable, match="does not open"):
        ring(("k1", 2)).decrypt(sealed, column="borrowers.name")


def test_a_value_under_a_key_the_keyring_does_not_hold_names_the_key() -> None:
    sealed = ring(("k1", 1)).encrypt("Adaeze Quarrington", column="borrowers.name")
    with pytest.raises(CiphertextUnreadable, match=r"key 'k1'.*holds k2"):
        ring(("k2", 2)).decrypt(sealed, column="borrowers.name")


def test_a_changed_ciphertext_does_not_open() -> None:
    keys = ring(("k1", 1))
    sealed = keys.encrypt("Adaeze Quarrington", column="borrowers.name")
    raw = bytearray(base64.b64decode(sealed.split(":", 3)[3]))
    raw[15] ^= 1
    forged = "enc:v1:k1:" + base64.b64encode(bytes(raw)).decode()
    with pytest.raises(CiphertextUnreadable):
        keys.decrypt(forged, column="borrowers.name")
    with pytest.raises(CiphertextUnreadable):
        keys.decrypt("enc:v1:k1:not base64!", column="borrowers.name")


def test_plaintext_from_before_encryption_reads_as_it_is() -> None:
    assert ring(("k1", 1)).decrypt("Adaeze Quarrington", column="borrowers.name") == (
        "Adaeze Quarrington")


def test_an_older_key_still_opens_what_it_sealed_and_new_values_use_the_newest() -> None:
    old = ring(("k1", 1)).encrypt("Adaeze", column="borrowers.name")
    both = ring(("k2", 2), ("k1", 1))
    assert both.decrypt(old, column="borrowers.name") == "Adaeze"
    assert crypto.key_id_of(both.encrypt("Adaeze", column="borrowers.name")) == "k2"
    assert crypto.key_id_of("Adaeze") is None


@pytest.mark.parametrize(("keys", "words"), [
    ("k1", "must be ID:BASE64KEY"),
    (f"k_1:{b64(1)}", "must be ID:BASE64KEY"),
    (f":{b64(1)}", "must be ID:BASE64KEY"),
    (f"k1:{b64(1)},k1:{b64(2)}", "names key id 'k1' twice"),
    ("k1:" + base64.b64encode(b"short").decode(), "must be 32 bytes"),
    ("k1:not-base64!", "must be 32 bytes"),
])
def test_a_malformed_keyring_is_refused_with_what_to_fix(keys: str, words: str) -> None:
    with pytest.raises(InvalidInput, match=words) as err:
        crypto.keyring_from(Settings(data_keys=keys, lookup_key=b64(9)))
    assert err.value.code == "data_keys_must_be_well_formed"


def test_a_malformed_lookup_key_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        crypto.keyring_from(Settings(data_keys=f"k1:{b64(1)}", lookup_key="abc"))
    assert err.value.code == "lookup_key_must_be_well_formed"


def test_keys_are_read_newest_first_with_spaces_around_entries() -> None:
    keys = crypto.keyring_from(Settings(data_keys=f" k2:{b64(2)} , k1:{b64(1)} ",
                                        lookup_key=b64(9)))
    assert keys.key_ids == ("k2", "k1") and keys.newest == "k2" and not keys.development


def test_without_keys_development_keys_stand_in_and_serving_is_told() -> None:
    empty = Settings(data_keys="", lookup_key="")
    assert crypto.keyring_from(empty).development
    assert crypto.keyring_from(empty).key_ids == (crypto.DEVELOPMENT_KEY_ID,)
    assert crypto.is_development(empty)
    problems = crypto.secret_problems(empty)
    assert any("DUNWELL_DATA_KEYS is not set" in p for p in problems)
    assert any("DUNWELL_LOOKUP_KEY is not set" in p for p in problems)
    real = Settings(data_keys=f"k1:{b64(1)}", lookup_key=b64(9))
    assert not crypto.is_development(real) and crypto.secret_problems(real) == []
    same = Settings(data_keys=f"k1:{b64(1)}", lookup_key=b64(1))
    assert crypto.secret_problems(same) == ["DUNWELL_LOOKUP_KEY must differ from every data key"]
    bad = Settings(data_keys="k1", lookup_key=b64(9))
    assert [p for p in crypto.secret_problems(bad) if "ID:BASE64KEY" in p]


def test_development_keys_log_one_warning_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crypto, "_warned", False)
    with capture_logs() as logs:
        crypto.configure(Settings(data_keys="", lookup_key=""))
        crypto.configure(Settings(data_keys="", lookup_key=""))
        crypto.configure(Settings(data_keys=f"k1:{b64(1)}", lookup_key=b64(9)))
    assert [(e["log_level"], e["event"]) for e in logs] == [
        ("warning", "development keys in use; set DUNWELL_DATA_KEYS")]


# --- lookup hashes --------------------------------------------------------------------

@pytest.mark.parametrize(("written", "same_as"), [
    ("+86 138-0000-0001", "+8613800000001"),
    ("(+86) 138.0000.0001", "8613800000001"),
    (" Adaeze.Q@Example.ORG ", "adaeze.q@example.org"),
])
def test_a_lookup_hash_is_of_the_normalised_value(written: str, same_as: str) -> None:
    keys = ring(("k1", 1))
    assert normalise(written) == normalise(same_as)
    assert keys.lookup_hash(written) == keys.lookup_hash(same_as)
    assert normalise(written) not in keys.lookup_hash(written)


def test_a_lookup_hash_depends_on_the_lookup_key_and_says_which() -> None:
    a, b = ring(("k1", 1), lookup=7), ring(("k1", 1), lookup=8)
    assert a.lookup_hash("+8613800000001") != b.lookup_hash("+8613800000001")
    assert a.lookup_hash("+8613800000001").startswith(a.lookup_tag + ":")
    assert a.lookup_tag != b.lookup_tag


# --- the columns ------------------------------------------------------------------------

def test_every_encrypted_column_seals_for_its_own_table_and_column() -> None:
    # every table module on the shared metadata, whatever this process imported before
    for module in pkgutil.iter_modules(dunwell.store.__path__):
        if "tables" in module.name:
            importlib.import_module(f"dunwell.store.{module.name}")
    sealed = {f"{t.name}.{c.name}": c.type for t in metadata.tables.values()
              for c in t.columns if isinstance(c.type, ENCRYPTED_TYPES)}
    assert {"borrowers.name", "applicants.name", "channel_addresses.address", "outbox.body",
            "outbox.to_address", "outbox.subject", "borrower_addresses.address_text",
            "borrower_addresses.latitude", "borrower_addresses.longitude",
            "letters.document_json", "case_timeline.text"} <= set(sealed)
    assert all(typ.column == name for name, typ in sealed.items())


def stored(app: Dunwell, column: sa.Column[str], where: sa.ColumnElement[bool]) -> str:
    """The text the database holds, not opened."""
    with app.engine.connect() as conn:
        return str(conn.execute(sa.select(sa.type_coerce(column, sa.Text)).where(where))
                   .scalar_one())


def put_borrower(app: Dunwell, borrower_id: int, name: str) -> None:
    with app.uow() as uow:
        uow.borrowers.put(borrower_id=borrower_id, name=name, jurisdiction=Jurisdiction.CN_NIFA,
                          timezone="Asia/Shanghai", language="zh-CN")
        uow.commit()


def test_a_name_is_stored_sealed_and_read_in_clear(app: Dunwell) -> None:
    put_borrower(app, 1, "欧阳青岚")
    text = stored(app, borrowers.c.name, borrowers.c.borrower_id == 1)
    assert CIPHERTEXT.fullmatch(text) and "欧阳青岚" not in text
    with app.uow() as uow:
        assert uow.borrowers.get(1).name == "欧阳青岚"


def test_coordinates_are_stored_sealed_and_read_as_the_same_numbers(app: Dunwell) -> None:
    put_borrower(app, 1, "欧阳青岚")
    where = GeoPoint(30.658612345678901, 104.06470000000001)
    with app.uow() as uow:
        uow.field.put_address(Address(1, "成都市锦江区琴台路88号", where), at=NOW)
        uow.commit()
    for column in (borrower_addresses.c.latitude, borrower_addresses.c.longitude,
                   borrower_addresses.c.address_text):
        assert CIPHERTEXT.fullmatch(stored(app, column, borrower_addresses.c.borrower_id == 1))
    with app.uow() as uow:
        found = uow.field.addresses([1])[1]
    assert found.location == where and found.text == "成都市锦江区琴台路88号"


def test_rows_written_before_encryption_read_as_they_were(app: Dunwell) -> None:
    with app.engine.begin() as conn:  # as a book migrated from before encryption holds them
        conn.execute(sa.insert(borrowers).values(
            borrower_id=1, name=sa.type_coerce("Adaeze Quarrington", sa.Text),
            jurisdiction="CN-NIFA", timezone="Asia/Shanghai", language="en"))
        conn.execute(sa.insert(borrower_addresses).values(
            borrower_id=1, address_text=sa.type_coerce("27 Larkspur Terrace", sa.Text),
            latitude=sa.type_coerce("30.6586", sa.Text),
            longitude=sa.type_coerce("104.0647", sa.Text), updated_at=NOW.isoformat()))
    with app.uow() as uow:
        assert uow.borrowers.get(1).name == "Adaeze Quarrington"
        address = uow.field.addresses([1])[1]
    assert address.text == "27 Larkspur Terrace"
    assert address.location == GeoPoint(30.6586, 104.0647)


def test_a_borrower_is_found_by_phone_through_its_hash(app: Dunwell) -> None:
    put_borrower(app, 1, "欧阳青岚")
    put_borrower(app, 2, "司马若溪")
    set_channel_address(app, borrower_id=1, channel="sms", address="+8613957000001")
    set_channel_address(app, borrower_id=2, channel="sms", address="+8613957000002")
    assert "13957000001" not in stored(app, channel_addresses.c.address,
                                       channel_addresses.c.borrower_id == 1)
    digest = stored(app, channel_addresses.c.address_hash, channel_addresses.c.borrower_id == 1)
    assert digest == crypto.keyring().lookup_hash("+8613957000001")
    with app.uow() as uow:
        assert uow.borrowers.by_address("sms", "+86 139 5700 0001") == 1
        assert uow.borrowers.by_address("sms", "+8613957000002") == 2
        assert uow.borrowers.by_address("sms", "+8613957000003") is None
        assert uow.borrowers.by_address("email", "+8613957000001") is None
    result = record_inbound_message(app, channel="sms", text="STOP", at=NOW, now=NOW,
                                    sender="+86 139 5700 0002")
    assert result.borrower_id == 2 and result.opted_out


def test_an_address_stored_before_encryption_is_found_as_written(app: Dunwell) -> None:
    put_borrower(app, 1, "欧阳青岚")
    with app.engine.begin() as conn:
        conn.execute(sa.insert(channel_addresses).values(
            borrower_id=1, channel="email", address=sa.type_coerce("qinglan@example.org", sa.Text)))
    with app.uow() as uow:
        assert uow.borrowers.by_address("email", "qinglan@example.org") == 1
        assert uow.channel_facts.address(1, MessageChannel.EMAIL) == "qinglan@example.org"


def test_a_book_opened_with_its_keys_reads_what_they_sealed(db_url: str) -> None:
    keys = Settings(db_url=db_url, data_keys=f"k1:{b64(1)}", lookup_key=b64(9),
                    log_level="WARNING")
    app = bootstrap(keys)
    try:
        put_borrower(app, 1, "欧阳青岚")
        assert stored(app, borrowers.c.name, borrowers.c.borrower_id == 1).startswith(
            "enc:v1:k1:")
        crypto.configure(Settings(data_keys=f"k2:{b64(2)}", lookup_key=b64(9)))
        with app.uow() as uow, pytest.raises(CiphertextUnreadable, match="key 'k1'"):
            uow.borrowers.get(1)
    finally:
        app.engine.dispose()

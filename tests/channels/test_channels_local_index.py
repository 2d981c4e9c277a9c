"""The offline provider reads its files' idempotency keys incrementally: a provider built
later sees every key sent before, by itself or by another writer, and a file that was
replaced by a shorter one is read again."""

from __future__ import annotations

import json
from pathlib import Path

from dunwell.channels.model import MessageChannel, OutgoingMessage, ProviderConfig
from dunwell.providers.local import LocalFileProvider


def provider(directory: Path) -> LocalFileProvider:
    return LocalFileProvider(
        ProviderConfig(name="local", channels=frozenset(MessageChannel), outbox_dir=str(directory))
    )


def message(key: str) -> OutgoingMessage:
    return OutgoingMessage(
        channel=MessageChannel.SMS,
        to_address="+8613800000000",
        borrower_id=1,
        kind="reminder",
        language="en",
        subject="",
        body="hello",
        idempotency_key=key,
    )


def test_a_later_provider_sees_every_key_sent_before(tmp_path: Path) -> None:
    first = provider(tmp_path)
    assert first.send(message("a")).status == "accepted"
    assert provider(tmp_path).send(message("a")).status == "duplicate"
    with first.path_for(MessageChannel.SMS).open("a", encoding="utf-8") as out:  # elsewhere
        out.write(json.dumps({"id": "other-b", "client_ref": "b"}) + "\n")
    again = provider(tmp_path).send(message("b"))
    assert (again.status, again.provider_message_id) == ("duplicate", "other-b")
    assert provider(tmp_path).send(message("c")).status == "accepted"
    assert provider(tmp_path).send(message("c")).status == "duplicate"


def test_a_file_replaced_by_a_shorter_one_is_read_again(tmp_path: Path) -> None:
    provider(tmp_path).send(message("a"))
    provider(tmp_path).send(message("b"))
    path = provider(tmp_path).path_for(MessageChannel.SMS)
    path.write_text(json.dumps({"id": "x", "client_ref": "z"}) + "\n", encoding="utf-8")
    assert provider(tmp_path).send(message("z")).status == "duplicate"
    assert provider(tmp_path).send(message("a")).status == "accepted"

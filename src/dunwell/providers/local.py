"""The offline provider: every channel, one JSON-lines file per channel.

``{outbox_dir}/{channel}.jsonl`` gets one line per message (voice messages become
call tasks for a collector or an IVR to pick up). The idempotency key is the line's
``client_ref``: sending a key the file already holds returns the first receipt and
writes nothing, so a dispatcher that died after writing but before recording the send
does not deliver twice when it retries.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from dunwell.channels.model import MessageChannel, OutgoingMessage, ProviderConfig, SendReceipt
from dunwell.channels.ports import ChannelProvider


class LocalFileProvider:
    channels = frozenset(MessageChannel)

    def __init__(self, config: ProviderConfig) -> None:
        self.name = config.name
        self.directory = Path(config.outbox_dir)
        self._lock = threading.Lock()
        self._sent: dict[MessageChannel, dict[str, str]] = {}

    def path_for(self, channel: MessageChannel) -> Path:
        return self.directory / f"{channel.value}.jsonl"

    def _index(self, channel: MessageChannel) -> dict[str, str]:
        if channel not in self._sent:
            self._sent[channel] = _file_index(self.path_for(channel))
        return self._sent[channel]

    def send(self, message: OutgoingMessage) -> SendReceipt:
        with self._lock:
            index = self._index(message.channel)
            if message.idempotency_key in index:
                return SendReceipt(index[message.idempotency_key], "duplicate")
            message_id = f"local-{message.channel.value}-{message.idempotency_key}"
            row = {"id": message_id, "client_ref": message.idempotency_key,
                   "channel": message.channel.value, "to": message.to_address,
                   "borrower_id": message.borrower_id, "kind": message.kind,
                   "language": message.language, "subject": message.subject,
                   "body": message.body}
            self.directory.mkdir(parents=True, exist_ok=True)
            with self.path_for(message.channel).open("a", encoding="utf-8") as out:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                out.flush()
            index[message.idempotency_key] = message_id
            return SendReceipt(message_id, "accepted")


#: Each file's index as far as it was read (path -> bytes read, client_ref -> id): a
#: provider is built for every dispatch, and reading the whole file each time made
#: dispatch cost grow with every message ever sent. Only the lines appended since are
#: read (by whichever process wrote them); a file that shrank is read again.
_INDEXES: dict[Path, tuple[int, dict[str, str]]] = {}
_INDEXES_LOCK = threading.Lock()


def _file_index(path: Path) -> dict[str, str]:
    """The file's idempotency keys, read from where the last reading stopped."""
    with _INDEXES_LOCK:
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            _INDEXES.pop(path, None)
            return {}
        offset, index = _INDEXES.get(path, (0, {}))
        if size < offset:
            offset, index = 0, {}
        index = dict(index)
        with path.open("rb") as data:
            data.seek(offset)
            tail: dict[str, str] = {}
            for raw in data:
                line = raw.decode("utf-8")
                if not raw.endswith(b"\n"):  # the last line, unfinished or unterminated:
                    try:  # held now if it parses, read again next time
                        row = json.loads(line) if line.strip() else None
                    except json.JSONDecodeError:
                        row = None
                    if row is not None:
                        tail[row["client_ref"]] = row["id"]
                    break
                offset += len(raw)
                if line.strip():
                    row = json.loads(line)
                    index[row["client_ref"]] = row["id"]
        _INDEXES[path] = (offset, index)
        return {**index, **tail}


def factory(config: ProviderConfig) -> ChannelProvider:
    return LocalFileProvider(config)

"""The y-websocket wire protocol: message framing and awareness updates.

A message is a varuint type (0 sync, 1 awareness, 3 query awareness) followed by its payload;
a sync payload is a varuint sync type (0 step 1, 1 step 2, 2 update) and a length-prefixed
byte string. An awareness update is: varuint count, then per client a varuint client id,
a varuint clock and a length-prefixed JSON state ("null" when the client has left).

Decoding is bounded as lib0 bounds it in browsers: a varuint holds at most 2^53 - 1 (8 bytes),
and a byte string must be as long as it says; anything else is a ProtocolError.
"""

import json
from dataclasses import dataclass
from typing import Any

from pycrdt import (
    YMessageType,
    YSyncMessageType,
    create_awareness_message,
    write_message,
    write_var_uint,
)

MESSAGE_QUERY_AWARENESS = 3
MAX_SAFE_INTEGER = 2**53 - 1  # lib0 (browsers) refuses larger varuints
VARUINT_MAX_BYTES = 8  # what lib0 writes for MAX_SAFE_INTEGER


class ProtocolError(ValueError):
    pass


def sync_message(kind: YSyncMessageType, data: bytes) -> bytes:
    return bytes([YMessageType.SYNC, kind]) + write_message(data)


class Reader:
    """lib0's decoding, bounded: pycrdt's Decoder reads a varuint of any length (a 1 MB one took
    minutes, in quadratic time) and a byte string shorter than its declared length."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def var_uint(self) -> int:
        value, shift, end = 0, 0, min(len(self.data), self.pos + VARUINT_MAX_BYTES)
        for index in range(self.pos, end):
            byte = self.data[index]
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                if value > MAX_SAFE_INTEGER:
                    raise ProtocolError("integer out of range")
                self.pos = index + 1
                return value
            shift += 7
        if end < len(self.data):
            raise ProtocolError("integer out of range")
        raise ProtocolError("message cut short")

    def var_bytes(self) -> bytes:
        length = self.var_uint()
        if length > len(self.data) - self.pos:
            raise ProtocolError("message shorter than its declared length")
        self.pos += length
        return self.data[self.pos - length:self.pos]

    def var_string(self) -> str:
        try:
            return self.var_bytes().decode()
        except UnicodeDecodeError:
            raise ProtocolError("text that is not UTF-8") from None


@dataclass
class Message:
    kind: int  # YMessageType value or MESSAGE_QUERY_AWARENESS
    sync_kind: int | None = None
    payload: bytes = b""


_SYNC_KINDS = frozenset(int(kind) for kind in YSyncMessageType)


def message_parse(data: bytes) -> Message:
    """Raises ProtocolError for anything but a whole message of a known type."""
    reader = Reader(data)
    kind = reader.var_uint()
    if kind == YMessageType.SYNC:
        sync_kind = reader.var_uint()
        if sync_kind not in _SYNC_KINDS:
            raise ProtocolError(f"unknown sync message type {sync_kind}")
        return Message(kind, sync_kind, reader.var_bytes())
    if kind == YMessageType.AWARENESS:
        return Message(kind, None, reader.var_bytes())
    if kind == MESSAGE_QUERY_AWARENESS:
        return Message(kind)
    raise ProtocolError(f"unknown message type {kind}")


@dataclass
class AwarenessEntry:
    client_id: int
    clock: int
    state: str  # JSON text; "null" once the client is gone


def awareness_parse(payload: bytes, limit: int | None = None) -> list[AwarenessEntry]:
    """The entries of an awareness update; only the first `limit` when given (the rest are not
    read: a flood of entries costs no more than `limit`)."""
    reader = Reader(payload)
    count = reader.var_uint()
    entries = []
    for _ in range(count if limit is None else min(count, limit)):
        client_id, clock = reader.var_uint(), reader.var_uint()
        entries.append(AwarenessEntry(client_id, clock, reader.var_string()))
    return entries


def awareness_message(entries: list[AwarenessEntry]) -> bytes:
    body = [write_var_uint(len(entries))]
    for entry in entries:
        state = entry.state.encode()
        body += [write_var_uint(entry.client_id), write_var_uint(entry.clock),
                 write_var_uint(len(state)), state]
    return create_awareness_message(b"".join(body))


def awareness_state(entry: AwarenessEntry) -> Any:
    try:
        return json.loads(entry.state)
    except ValueError:
        return None

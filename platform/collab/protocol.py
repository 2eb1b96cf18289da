"""The y-websocket wire protocol: message framing and awareness updates.

A message is a varuint type (0 sync, 1 awareness, 3 query awareness) followed by its payload;
a sync payload is a varuint sync type (0 step 1, 1 step 2, 2 update) and a length-prefixed
byte string. An awareness update is: varuint count, then per client a varuint client id,
a varuint clock and a length-prefixed JSON state ("null" when the client has left).
"""

import json
from dataclasses import dataclass
from typing import Any

from pycrdt import (
    Decoder,
    YMessageType,
    YSyncMessageType,
    create_awareness_message,
    write_message,
    write_var_uint,
)

MESSAGE_QUERY_AWARENESS = 3


class ProtocolError(ValueError):
    pass


def sync_message(kind: YSyncMessageType, data: bytes) -> bytes:
    return bytes([YMessageType.SYNC, kind]) + write_message(data)


@dataclass
class Message:
    kind: int  # YMessageType value or MESSAGE_QUERY_AWARENESS
    sync_kind: int | None = None
    payload: bytes = b""


def _payload(decoder: Decoder) -> bytes:
    payload = decoder.read_message() or b""
    if decoder.length < 0:
        raise ProtocolError("message shorter than its declared length")
    return payload


def message_parse(data: bytes) -> Message:
    try:
        decoder = Decoder(data)
        kind = decoder.read_var_uint()
        if kind == YMessageType.SYNC:
            sync_kind = decoder.read_var_uint()
            if sync_kind not in {int(k) for k in YSyncMessageType}:
                raise ProtocolError(f"unknown sync message type {sync_kind}")
            return Message(kind, sync_kind, _payload(decoder))
        if kind == YMessageType.AWARENESS:
            return Message(kind, None, _payload(decoder))
        if kind == MESSAGE_QUERY_AWARENESS:
            return Message(kind)
    except (IndexError, RuntimeError) as exc:
        raise ProtocolError(f"malformed message: {exc}") from None
    raise ProtocolError(f"unknown message type {kind}")


@dataclass
class AwarenessEntry:
    client_id: int
    clock: int
    state: str  # JSON text; "null" once the client is gone


def awareness_parse(payload: bytes) -> list[AwarenessEntry]:
    try:
        decoder = Decoder(payload)
        entries = []
        for _ in range(decoder.read_var_uint()):
            client_id, clock = decoder.read_var_uint(), decoder.read_var_uint()
            entries.append(AwarenessEntry(client_id, clock, decoder.read_var_string()))
        return entries
    except (IndexError, RuntimeError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"malformed awareness update: {exc}") from None


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

"""The readable part of an MCAP bag cut off mid-write (a recorder that crashed: no summary).

rosbags reads an MCAP file from its summary at the end; a file cut off has none, so it cannot
open it. The `mcap` library's StreamReader reads records from the start instead; everything up
to the first record the cut damaged (a chunk is read whole or not at all) is recovered, with
the topics and message types its schema and channel records declare.
"""
from dataclasses import dataclass, field
from pathlib import Path
import struct
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from mcap.exceptions import McapError
from mcap.records import Channel, Message, Schema
from mcap.stream_reader import StreamReader
import yaml

CUT_OFF = (McapError, EOFError, struct.error, ValueError)
"""What StreamReader raises at a cut: a short read, a damaged record, an undecodable chunk."""


@dataclass(frozen=True)
class MessageDefinition:
    """The message definition text of a connection, as rosbags holds it."""

    data: str


@dataclass
class SalvagedConnection:
    """One topic of a salvaged bag, with the fields the bag tool reads of rosbags' Connection."""

    id: int  # noqa: A003 - the MCAP channel id, named as rosbags' Connection names it
    topic: str
    msgtype: str
    msgdef: MessageDefinition
    digest: str = ''
    msgcount: int = 0


@dataclass
class SalvagedBag:
    """The messages readable from the MCAP files of a bag folder, in the reader's interface.

    Attributes:
        connections: the topics found.
        listed: the message count of the bag's metadata.yaml (None where it gives none).

    A connection's digest (RIHS01 type hash) comes from metadata.yaml: MCAP records lack it.
    """

    connections: List[SalvagedConnection] = field(default_factory=list)
    listed: Optional[int] = None
    _messages: List[Tuple[int, int, bytes]] = field(default_factory=list)

    def messages(self, connections: Sequence[Any]) -> Iterator[Tuple[Any, int, bytes]]:
        """Yield (connection, timestamp ns, raw CDR) of `connections`, in file order."""
        wanted = {connection.id: connection for connection in connections}
        for channel_id, timestamp, data in self._messages:
            if channel_id in wanted:
                yield wanted[channel_id], timestamp, data

    def describe(self) -> str:
        """Say how much was readable."""
        listed = '' if self.listed is None else f' of the {self.listed} metadata.yaml lists'
        return (f'the input is cut off (no MCAP summary: a recorder that stopped mid-write); '
                f'read the {len(self._messages)} message(s){listed} before the cut')


def salvage(folder: Path) -> SalvagedBag:
    """Read every readable message of the `.mcap` files of `folder`, each up to its cut."""
    info = bag_information(folder / 'metadata.yaml')
    bag = SalvagedBag(listed=info.get('message_count'))
    for path in sorted(folder.glob('*.mcap')):
        with path.open('rb') as stream:
            _read_until_cut(StreamReader(stream), bag)
    hashes = {topic['topic_metadata']['name']: topic['topic_metadata'].get(
        'type_description_hash', '') for topic in info.get('topics_with_message_count', [])}
    for connection in bag.connections:
        connection.digest = hashes.get(connection.topic, '')
    return bag


def bag_information(metadata: Path) -> Dict[str, Any]:
    """Return the rosbag2_bagfile_information of a metadata.yaml; {} where it is unreadable."""
    try:
        info = yaml.safe_load(metadata.read_text())['rosbag2_bagfile_information']
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return {}
    return info if isinstance(info, dict) else {}


def _read_until_cut(reader: StreamReader, bag: SalvagedBag) -> None:
    schemas: Dict[int, Schema] = {}
    by_id = {connection.id: connection for connection in bag.connections}
    try:
        for record in reader.records:
            if isinstance(record, Schema):
                schemas[record.id] = record
            elif isinstance(record, Channel) and record.id not in by_id:
                schema = schemas.get(record.schema_id)
                by_id[record.id] = SalvagedConnection(
                    record.id, record.topic, schema.name if schema else '',
                    MessageDefinition(schema.data.decode() if schema else ''))
                bag.connections.append(by_id[record.id])
            elif isinstance(record, Message) and record.channel_id in by_id:
                by_id[record.channel_id].msgcount += 1
                bag._messages.append((record.channel_id, record.log_time, record.data))
    except CUT_OFF:
        return

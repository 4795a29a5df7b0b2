"""The offline bag tool end to end on small bags it writes, in sqlite3 and mcap storage."""
from pathlib import Path

import numpy as np
import pytest
from rosbags.rosbag2 import Reader, StoragePlugin, Writer
from rosbags.typesys import get_typestore, Stores

import locate_reference
from locate_reference import save_locate_file, TINY
from looptrans_ros import bag_grounding
from looptrans_ros.image_codec import decode_image, encode_compressed, encode_image, fields_of
from looptrans_ros.interface_types import MESSAGE_DEFINITIONS, register_interfaces

ROOT = Path(__file__).resolve().parents[2]
STORE = register_interfaces(get_typestore(Stores.ROS2_HUMBLE))


def header(sec: int):
    time = STORE.types['builtin_interfaces/msg/Time'](sec=sec, nanosec=0)
    return STORE.types['std_msgs/msg/Header'](stamp=time, frame_id='camera')


def image(scene: np.ndarray, sec: int, step_shortfall: int = 0):
    fields = encode_image(scene, 'bgr8')
    return STORE.types['sensor_msgs/msg/Image'](
        header=header(sec), height=fields.height, width=fields.width, encoding='bgr8',
        is_bigendian=0, step=fields.step - step_shortfall,
        data=np.frombuffer(fields.data, np.uint8))


def compressed(scene: np.ndarray, sec: int, data: bytes = b''):
    return STORE.types['sensor_msgs/msg/CompressedImage'](
        header=header(sec), format='jpeg',
        data=np.frombuffer(data or encode_compressed(scene), np.uint8))


def write_bag(path: Path, storage: StoragePlugin, topic: str, messages) -> None:
    with Writer(path, version=9, storage_plugin=storage) as writer:
        connection = writer.add_connection(topic, messages[0].__msgtype__, typestore=STORE)
        for message in messages:
            stamp = message.header.stamp.sec * 10**9
            writer.write(connection, stamp, STORE.serialize_cdr(message, message.__msgtype__))


def read_bag(path: Path) -> dict:
    topics = {}
    with Reader(path) as reader:
        for connection, timestamp, raw in reader.messages():
            message = STORE.deserialize_cdr(raw, connection.msgtype)
            topics.setdefault(connection.topic, []).append((timestamp, message))
        definitions = {c.topic: c.msgdef.data for c in reader.connections}
    return topics, definitions


@pytest.fixture(autouse=True)
def tiny_model(monkeypatch, tiny_grounder):
    monkeypatch.setattr(bag_grounding, 'load_default_grounder',
                        lambda *a, **k: (tiny_grounder, []))


@pytest.mark.parametrize('storage', [StoragePlugin.SQLITE3, StoragePlugin.MCAP])
def test_raw_images_both_storages(tmp_path, scene, storage, capsys):
    frames = [image(scene, 1), image(scene, 2, step_shortfall=1), image(scene, 3)]
    write_bag(tmp_path / 'in', storage, '/camera/image_raw', frames)
    code = bag_grounding.main(['--input', str(tmp_path / 'in'), '--output',
                               str(tmp_path / 'out'), '--topic', '/camera/image_raw',
                               '--action', 'cut'])
    assert code == 0
    output = capsys.readouterr().out
    assert 'grounded 2 frame(s)' in output and 'skipped 1' in output and 'step 191' in output
    suffix = '*.mcap' if storage == StoragePlugin.MCAP else '*.db3'
    assert list((tmp_path / 'out').glob(suffix))
    topics, definitions = read_bag(tmp_path / 'out')
    assert len(topics['/camera/image_raw']) == 3
    heatmaps, peaks = topics['/looptrans/heatmap'], topics['/looptrans/peaks']
    assert [t for t, _ in heatmaps] == [10**9, 3 * 10**9] == [t for t, _ in peaks]
    assert [m.header.stamp.sec for _, m in peaks] == [1, 3]
    assert all(m.action == 'cut' and m.points for _, m in peaks)
    values = decode_image(fields_of(heatmaps[0][1]))
    assert values.shape == scene.shape[:2] and values.max() <= 1.0
    overlay = topics['/looptrans/overlay'][0][1]
    assert (overlay.encoding, overlay.height, overlay.width) == ('bgr8', 48, 64)
    assert 'InteractionPoint[] points' in definitions['/looptrans/peaks']


def test_compressed_images_and_several_actions(tmp_path, scene):
    frames = [compressed(scene, 1), compressed(scene, 2, data=b'junk')]
    write_bag(tmp_path / 'in', StoragePlugin.MCAP, '/cam/compressed', frames)
    assert bag_grounding.main(['--input', str(tmp_path / 'in'), '--output',
                               str(tmp_path / 'out'), '--topic', '/cam/compressed', '--action',
                               'cut', '--action', 'hold', '--storage', 'sqlite3']) == 0
    topics, _ = read_bag(tmp_path / 'out')
    assert [m.action for _, m in topics['/looptrans/hold/peaks']] == ['hold']
    assert len(topics['/looptrans/cut/heatmap']) == 1


def test_unknown_topic_and_action_are_reported(tmp_path, scene, capsys):
    write_bag(tmp_path / 'in', StoragePlugin.SQLITE3, '/cam', [image(scene, 1)])
    arguments = ['--input', str(tmp_path / 'in'), '--output', str(tmp_path / 'out')]
    assert bag_grounding.main(arguments + ['--topic', '/nope', '--action', 'cut']) == 2
    assert "image topics there: ['/cam']" in capsys.readouterr().err
    assert bag_grounding.main(arguments + ['--topic', '/cam', '--action', 'fly']) == 2
    assert 'valid actions' in capsys.readouterr().err


def test_embedded_definitions_match_the_msg_files():
    for name, text in MESSAGE_DEFINITIONS.items():
        path = ROOT / 'looptrans_interfaces' / 'msg' / f'{name.rsplit("/", 1)[1]}.msg'
        lines = [line for line in path.read_text().splitlines()
                 if line.strip() and not line.startswith('#')]
        assert lines == text.splitlines(), name


def test_backend_precision_and_calibration_reach_the_grounder(
        tmp_path, scene, monkeypatch, tiny_grounder):
    calls = []
    monkeypatch.setattr(bag_grounding, 'load_default_grounder',
                        lambda *a, **k: calls.append((a, k)) or (tiny_grounder, []))
    write_bag(tmp_path / 'in', StoragePlugin.SQLITE3, '/cam', [image(scene, 1)])
    assert bag_grounding.main(['--input', str(tmp_path / 'in'), '--output',
                               str(tmp_path / 'out'), '--topic', '/cam', '--action', 'cut',
                               '--backend', 'openvino', '--precision', 'int8',
                               '--calibration', str(tmp_path)]) == 0
    arguments, options = calls[0]
    assert arguments[2] == 'int8' and options == {'backend': 'openvino', 'calibration': tmp_path}


def test_a_backend_that_does_not_run_the_precision_is_reported(
        tmp_path, scene, monkeypatch, capsys):
    monkeypatch.undo()
    write_bag(tmp_path / 'in', StoragePlugin.SQLITE3, '/cam', [image(scene, 1)])
    assert bag_grounding.main(['--input', str(tmp_path / 'in'), '--output',
                               str(tmp_path / 'out'), '--topic', '/cam', '--action', 'cut',
                               '--precision', 'int8']) == 2
    assert "'int8' runs on backend 'openvino'" in capsys.readouterr().err
    assert not (tmp_path / 'out').exists()


def test_a_locate_checkpoint_grounds_the_bag_as_locate(tmp_path, scene, monkeypatch):
    monkeypatch.undo()
    checkpoint = tmp_path / 'locate_unseen.pth'
    net = save_locate_file(checkpoint, len(locate_reference.UNSEEN), 4, **TINY)
    write_bag(tmp_path / 'in', StoragePlugin.SQLITE3, '/cam', [image(scene, 1)])
    assert bag_grounding.main(['--input', str(tmp_path / 'in'), '--output',
                               str(tmp_path / 'out'), '--topic', '/cam', '--action', 'cut_with',
                               '--checkpoint', str(checkpoint), '--device', 'cpu']) == 0
    topics, _ = read_bag(tmp_path / 'out')
    heatmap = decode_image(fields_of(topics['/looptrans/heatmap'][0][1]))
    rgb = scene[..., ::-1].copy()
    raw = net.ego_pred(locate_reference.published_input(rgb))[0]
    expected = locate_reference.normalize_map(
        raw[locate_reference.UNSEEN.index('cut_with')].numpy(), rgb.shape[1::-1])
    assert np.abs(heatmap - expected).max() < 1e-3  # our resize against PIL's: 2e-4 here

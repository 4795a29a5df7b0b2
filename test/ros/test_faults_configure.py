"""Faults at configure: a missing checkpoint fixed without a restart; an unusable OpenVINO cache.

Each fails the configure transition with one clear error on /rosout and leaves the process up;
the cache, read-only or full, is left without a half-written model.
"""
from contextlib import contextmanager
import os
from pathlib import Path
import resource
import signal
import subprocess
from typing import Iterator

from lifecycle_msgs.msg import State, Transition
from node_harness import header, image_message, warnings_of
import pytest
from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
from rcl_interfaces.srv import SetParameters
from test_node import lifecycle, lifecycle_state
from test_node_backends import checkpoint, ERROR  # noqa: F401 - a fixture

MISSING = '/nonexistent/looptrans/model.safetensors'
FULL_AFTER_BYTES = 200_000
"""A full disk: no file may grow past this (the tiny model's OpenVINO weights are ~0.9 MB)."""


def set_checkpoint(probe, path: str):
    """Set the node's checkpoint parameter through its service; return the result."""
    request = SetParameters.Request(parameters=[Parameter(name='checkpoint', value=ParameterValue(
        type=ParameterType.PARAMETER_STRING, string_value=path))])
    return probe.call(SetParameters, '/looptrans_grounding/set_parameters', request).results[0]


def test_a_missing_checkpoint_fails_configure_and_a_good_one_then_configures(
        start_node, checkpoint, scene):  # noqa: F811 - the fixtures imported above
    node, probe = start_node(checkpoint=MISSING, device='cpu', autostart=False)
    rosout = probe.outputs(node, 'rosout')['rosout']
    assert not lifecycle(probe, Transition.TRANSITION_CONFIGURE)
    assert lifecycle_state(probe) == State.PRIMARY_STATE_UNCONFIGURED
    probe.spin_until(lambda: any(MISSING in text for text in warnings_of(node, rosout, ERROR)),
                     'the missing checkpoint named on /rosout')
    errors = [text for text in warnings_of(node, rosout, ERROR) if 'cannot configure' in text]
    assert len(errors) == 1, errors
    assert set_checkpoint(probe, checkpoint).successful
    assert lifecycle(probe, Transition.TRANSITION_CONFIGURE)
    refused = set_checkpoint(probe, MISSING)
    assert not refused.successful and 'while the node is unconfigured' in refused.reason
    assert lifecycle(probe, Transition.TRANSITION_ACTIVATE)
    peaks = probe.outputs(node, 'peaks')['peaks']
    probe.publish('/image', image_message(scene, 'bgr8', header(4)))
    probe.spin_until(lambda: peaks, 'peaks from the model configured second')
    assert node.get_parameter('checkpoint').value == checkpoint


@contextmanager
def unwritable(folder: Path, how: str) -> Iterator[None]:
    """Make `folder` read-only (root too: the immutable flag) or full (a file size limit)."""
    if how == 'full':
        previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write fails with EFBIG
        soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (FULL_AFTER_BYTES, hard))
        try:
            yield
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
            signal.signal(signal.SIGXFSZ, previous)
        return
    if os.geteuid() != 0:
        folder.chmod(0o555)
    elif subprocess.run(['chattr', '+i', str(folder)], capture_output=True).returncode != 0:
        pytest.skip('running as root without chattr +i: no way to make a read-only folder')
    try:
        yield
    finally:
        if os.geteuid() == 0:
            subprocess.run(['chattr', '-i', str(folder)], check=True)
        folder.chmod(0o755)


@pytest.mark.parametrize('how', ['read-only', 'full'])
def test_an_unwritable_openvino_cache_is_one_error_at_configure_and_nothing_half_written(
        start_node, checkpoint, tmp_path, monkeypatch, capfd, how):  # noqa: F811 - fixtures
    cache = tmp_path / 'cache'
    cache.mkdir()
    monkeypatch.setenv('LOOPTRANS_CACHE_DIR', str(cache))
    node, probe = start_node(checkpoint=checkpoint, backend='openvino', device='cpu',
                             autostart=False)
    capfd.readouterr()
    with unwritable(cache, how):
        assert not lifecycle(probe, Transition.TRANSITION_CONFIGURE)
    assert lifecycle_state(probe) == State.PRIMARY_STATE_UNCONFIGURED
    reason = node.configure_error
    assert f'into the cache {cache}' in reason and 'writable with space to spare' in reason
    if how != 'full':  # under the size limit the captured console cannot grow either
        # The node's console log (rcutils writes it to stderr at once); a /rosout subscription
        # missed this record in a full run.
        errors = [line for line in capfd.readouterr().err.splitlines()
                  if 'cannot configure' in line]
        assert len(errors) == 1 and reason in errors[0], errors
    left = [p for p in cache.rglob('*') if p.is_file() or p.name.startswith('.building')]
    assert left == [], 'a half-written model was left in the cache'
    assert lifecycle(probe, Transition.TRANSITION_CONFIGURE), 'configures once writable'

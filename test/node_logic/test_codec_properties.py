"""Property-based: any raw or compressed frame decodes to a well-formed image or ImageFormatError.

Nothing else may escape the decoders, whatever the fields, bytes or declared sizes.
"""
from types import SimpleNamespace

from hypothesis import given, HealthCheck, settings, strategies as st
import numpy as np

from encoded_images import png_declaring
from looptrans_ros.conversion import MessageDecoder
from looptrans_ros.image_codec import encode_compressed, ENCODINGS, ImageFormatError

DECODER = MessageDecoder(max_pixels=1_000_000)
SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def decoded_or_refused(message) -> None:
    """Decode `message`; a result must be H x W x 3 uint8 with a channel order."""
    try:
        pixels, order = DECODER.colour(message)
    except ImageFormatError as error:
        assert str(error)
        return
    assert pixels.dtype == np.uint8 and pixels.ndim == 3 and pixels.shape[2] == 3
    assert order in ('rgb', 'bgr')


@SETTINGS
@given(height=st.integers(-2, 40), width=st.integers(-2, 40),
       encoding=st.sampled_from([*ENCODINGS, 'yuv422', '', '8UC3']),
       is_bigendian=st.integers(0, 1), step=st.integers(-1, 200),
       data=st.binary(max_size=4000))
def test_raw_frames(height, width, encoding, is_bigendian, step, data):
    decoded_or_refused(SimpleNamespace(height=height, width=width, encoding=encoding,
                                       is_bigendian=is_bigendian, step=step, data=data,
                                       header=None))


@SETTINGS
@given(data=st.binary(max_size=2000))
def test_compressed_bytes(data):
    decoded_or_refused(SimpleNamespace(format='jpeg', data=data, header=None))


VALID_PNG = encode_compressed(np.full((6, 8, 3), 90, np.uint8), 'png')
VALID_JPEG = encode_compressed(np.full((16, 16, 3), 90, np.uint8), 'jpeg')


@SETTINGS
@given(base=st.sampled_from([VALID_PNG, VALID_JPEG]),
       edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8),
       cut=st.integers(0, 10_000))
def test_mutated_compressed_images(base, edits, cut):
    data = bytearray(base)
    for position, value in edits:
        data[position % len(data)] = value
    decoded_or_refused(SimpleNamespace(format='png', data=bytes(data[:max(1, cut)]),
                                       header=None))


@SETTINGS
@given(width=st.integers(1, 200_000), height=st.integers(1, 200_000))
def test_declared_sizes_are_refused_before_decoding(width, height):
    try:
        pixels, _ = DECODER.colour(SimpleNamespace(format='png', data=png_declaring(width, height),
                                                   header=None))
    except ImageFormatError as error:
        if width * height > 1_000_000:
            assert 'over the limit' in str(error)
        return
    assert width * height <= 1_000_000 and pixels.shape[:2] == (height, width)

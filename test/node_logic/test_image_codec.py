"""The numpy image codec: every encoding, step padding, big-endian, every malformed kind."""
import cv2
import numpy as np
import pytest

from encoded_images import png_declaring
from looptrans_ros.image_codec import (as_bgr, decode_compressed, decode_image,
                                       encode_compressed, encode_image, ENCODINGS, ImageFields,
                                       ImageFormatError, to_colour)


def sample(encoding: str, rng: np.random.Generator) -> np.ndarray:
    dtype, channels = ENCODINGS[encoding]
    shape = (5, 7) if channels == 1 else (5, 7, channels)
    if dtype == np.float32:
        return rng.random(shape, dtype=np.float32)
    return rng.integers(0, np.iinfo(dtype).max, shape, dtype=dtype)


@pytest.mark.parametrize('encoding', sorted(ENCODINGS))
def test_round_trip_every_encoding(encoding):
    pixels = sample(encoding, np.random.default_rng(1))
    fields = encode_image(pixels, encoding)
    assert fields.step == 7 * pixels.itemsize * (1 if pixels.ndim == 2 else pixels.shape[2])
    decoded = decode_image(fields)
    assert decoded.dtype == pixels.dtype and np.array_equal(decoded, pixels)


@pytest.mark.parametrize('encoding', ['bgr8', 'mono16', '32FC1'])
def test_step_padding_is_skipped(encoding):
    pixels = sample(encoding, np.random.default_rng(2))
    fields = encode_image(pixels, encoding)
    rows = np.frombuffer(fields.data, np.uint8).reshape(5, fields.step)
    padded = np.concatenate([rows, np.full((5, 6), 0xAB, np.uint8)], axis=1)
    decoded = decode_image(ImageFields(5, 7, encoding, 0, fields.step + 6, padded.tobytes()))
    assert np.array_equal(decoded, pixels)


@pytest.mark.parametrize('encoding', ['mono16', '16UC1', '32FC1'])
def test_big_endian(encoding):
    pixels = sample(encoding, np.random.default_rng(3))
    big = pixels.astype(pixels.dtype.newbyteorder('>')).tobytes()
    decoded = decode_image(ImageFields(5, 7, encoding, 1, 7 * pixels.itemsize, big))
    assert decoded.dtype == pixels.dtype and np.array_equal(decoded, pixels)


def test_colour_keeps_the_camera_order_and_bgr_is_made_for_overlays():
    bgr = np.random.default_rng(4).integers(0, 255, (5, 7, 3), dtype=np.uint8)
    rgb = bgr[..., ::-1].copy()
    bgra = np.concatenate([bgr, np.full((5, 7, 1), 9, np.uint8)], axis=2)
    rgba = np.concatenate([rgb, np.full((5, 7, 1), 9, np.uint8)], axis=2)
    for pixels, encoding, order in ((bgr, 'bgr8', 'bgr'), (rgb, 'rgb8', 'rgb'),
                                    (bgra, 'bgra8', 'bgr'), (rgba, 'rgba8', 'rgb')):
        colour, got = to_colour(pixels, encoding)
        assert got == order and np.array_equal(as_bgr(colour, got), bgr), encoding
    rgb_in, _ = to_colour(rgb, 'rgb8')
    assert rgb_in is rgb, 'an rgb8 frame is passed on without a copy'
    grey, order = to_colour(np.full((2, 3), 65535, np.uint16), 'mono16')
    assert grey.shape == (2, 3, 3) and grey.dtype == np.uint8 and (grey == 255).all()
    assert (to_colour(np.full((2, 3), 0.5, np.float32), '32FC1')[0] == 128).all()


MALFORMED = {
    'unsupported image encoding': ImageFields(2, 2, 'yuv422', 0, 4, bytes(8)),
    'zero size': ImageFields(0, 2, 'mono8', 0, 2, b''),
    'step 5 is below': ImageFields(2, 2, 'rgb8', 0, 5, bytes(10)),
    'data has 11 bytes': ImageFields(2, 2, 'rgb8', 0, 6, bytes(11)),
}


@pytest.mark.parametrize('reason', sorted(MALFORMED))
def test_malformed_messages_raise_with_reason(reason):
    with pytest.raises(ImageFormatError, match=reason):
        decode_image(MALFORMED[reason])


def test_encode_refuses_mismatched_array():
    with pytest.raises(ImageFormatError, match='needs uint8 with shape H x W x 3'):
        encode_image(np.zeros((2, 2), np.uint8), 'bgr8')


def test_compressed_round_trip_and_garbage():
    image = np.zeros((16, 20, 3), np.uint8)
    image[4:12, 5:15] = (0, 200, 100)
    assert np.array_equal(decode_compressed(encode_compressed(image, 'png'), 'png'), image)
    jpeg = decode_compressed(encode_compressed(image, 'jpeg'))
    assert jpeg.shape == image.shape and cv2.absdiff(jpeg, image).mean() < 10
    with pytest.raises(ImageFormatError, match='cannot decode compressed image'):
        decode_compressed(b'not an image', 'jpeg')
    with pytest.raises(ImageFormatError, match='has no data'):
        decode_compressed(b'', 'jpeg')


@pytest.mark.parametrize('width, height', [(100_000, 100_000), (30_000, 30_000)])
def test_a_decompression_bomb_is_refused_from_its_header(width, height):
    with pytest.raises(ImageFormatError, match='over the limit of 50000000'):
        decode_compressed(png_declaring(width, height), 'png')


def test_the_pixel_limit_is_an_option_and_truncated_data_is_refused():
    image = encode_compressed(np.zeros((40, 50, 3), np.uint8), 'png')
    assert decode_compressed(image, 'png', max_pixels=2000).shape == (40, 50, 3)
    with pytest.raises(ImageFormatError, match='40 = 2000 pixels, over the limit of 1999'):
        decode_compressed(image, 'png', max_pixels=1999)
    with pytest.raises(ImageFormatError, match='cannot decode'):
        decode_compressed(image[:len(image) // 2], 'png')

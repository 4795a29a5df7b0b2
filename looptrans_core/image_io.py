"""Encoded images (files, compressed frames) and the CLI's inputs; [0, 1] map PNGs.

Every encoded image is measured from its header before it is decoded, so a file that claims a
huge size (a decompression bomb) is refused without allocating it.
"""
import io
from pathlib import Path
from typing import Iterator, List, Tuple
import warnings

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')
VIDEO_SUFFIXES = ('.mp4', '.avi', '.mov', '.mkv', '.webm')
MAX_IMAGE_PIXELS = 50_000_000
"""Default pixel limit of an image or frame (50 MP, far below OpenCV's 1 GP)."""


class ImageFormatError(ValueError):
    """An image or frame that cannot be turned into an array; the message says why."""


def check_pixels(width: int, height: int, max_pixels: int, what: str) -> None:
    """Raise ImageFormatError when a `width` x `height` image exceeds `max_pixels`."""
    if width * height > max_pixels:
        raise ImageFormatError(f'{what} declares {width} x {height} = {width * height} pixels, '
                               f'over the limit of {max_pixels} (max_image_pixels)')


def check_encoded_header(data: bytes, what: str,
                         max_pixels: int = MAX_IMAGE_PIXELS) -> Tuple[int, int]:
    """(width, height) from the header of encoded bytes; ImageFormatError if unreadable or huge.

    PIL parses headers without decoding (OpenCV has no such call), so this is cheap: a
    decompression bomb is refused without allocating it.
    """
    if len(data) == 0:
        raise ImageFormatError(f'{what} has no data')
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', Image.DecompressionBombWarning)
            width, height = Image.open(io.BytesIO(data)).size
    except Image.DecompressionBombError:
        raise ImageFormatError(f'{what} declares more than {Image.MAX_IMAGE_PIXELS * 2} pixels, '
                               f'over the limit of {max_pixels} (max_image_pixels)') from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise ImageFormatError(f'cannot decode {what} ({len(data)} bytes): not a JPEG, PNG '
                               'or other image format with a readable header') from None
    check_pixels(width, height, max_pixels, what)
    return width, height


def decode_encoded_image(data: bytes, what: str,
                         max_pixels: int = MAX_IMAGE_PIXELS) -> np.ndarray:
    """H x W x 3 uint8 BGR image of encoded bytes (JPEG, PNG, ...); ImageFormatError if not.

    The size is read from the header first (`check_encoded_header`), and only an image within
    `max_pixels` is decoded, by OpenCV.
    """
    check_encoded_header(data, what, max_pixels)
    try:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    except cv2.error as error:
        raise ImageFormatError(f'cannot decode {what}: {error}') from None
    if image is None:
        raise ImageFormatError(f'cannot decode {what} ({len(data)} bytes): corrupt image data')
    return image


def read_image_bgr(path: Path, max_pixels: int = MAX_IMAGE_PIXELS) -> np.ndarray:
    """Read an image file as H x W x 3 uint8 BGR; ImageFormatError (or OSError) names the path."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ImageFormatError(f'cannot read image {path}: {error.strerror or error}') from None
    return decode_encoded_image(data, f'image {path}', max_pixels)


def write_map_png(path: Path, heatmap: np.ndarray) -> None:
    """Write a [0, 1] map as an 8-bit grayscale PNG (value x 255, rounded), creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), np.round(heatmap * 255).astype(np.uint8)):
        raise ValueError(f'could not write {path}')


def count_frames(path: Path) -> int:
    """Count the frames an input yields (a video's frame count as its header states)."""
    if path.is_dir():
        return len(folder_images(path))
    if path.suffix.lower() in VIDEO_SUFFIXES:
        capture = cv2.VideoCapture(str(path))
        try:
            return int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        finally:
            capture.release()
    return 1


def iter_frames(path: Path, max_pixels: int = MAX_IMAGE_PIXELS,
                ) -> Iterator[Tuple[str, np.ndarray]]:
    """Yield (stem, BGR image) for an image file, each image of a folder, or each video frame."""
    if not path.exists():
        raise FileNotFoundError(f'input not found: {path}')
    if path.is_dir():
        for image_path in folder_images(path):
            yield image_path.stem, read_image_bgr(image_path, max_pixels)
    elif path.suffix.lower() in VIDEO_SUFFIXES:
        yield from _video_frames(path, max_pixels)
    else:
        yield path.stem, read_image_bgr(path, max_pixels)


def folder_images(folder: Path) -> List[Path]:
    """Return the image files of `folder` (not its subfolders), sorted; ValueError if none."""
    images = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not images:
        raise ValueError(f'no images ({", ".join(IMAGE_SUFFIXES)}) in folder {folder}')
    return images


def _video_frames(path: Path, max_pixels: int) -> Iterator[Tuple[str, np.ndarray]]:
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise ImageFormatError(f'cannot open video {path}')
    try:
        check_pixels(int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
                     int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)), max_pixels, f'video {path}')
        index = 0
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            yield f'{path.stem}_{index:06d}', frame
            index += 1
    finally:
        capture.release()

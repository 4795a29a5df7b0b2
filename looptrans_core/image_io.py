"""Image files: the CLI's inputs (an image, a folder of images, a video) and [0, 1] map PNGs."""
from pathlib import Path
from typing import Iterator, Tuple

import cv2
import numpy as np

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')
VIDEO_SUFFIXES = ('.mp4', '.avi', '.mov', '.mkv', '.webm')


def read_image_bgr(path: Path) -> np.ndarray:
    """Read an image file as H x W x 3 uint8 BGR, or raise naming the path."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f'cannot read image {path}: missing, unreadable or not an image')
    return image


def write_map_png(path: Path, heatmap: np.ndarray) -> None:
    """Write a [0, 1] map as an 8-bit grayscale PNG (value x 255, rounded), creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), np.round(heatmap * 255).astype(np.uint8)):
        raise ValueError(f'could not write {path}')


def count_frames(path: Path) -> int:
    """Count the frames an input yields (a video's frame count as its header states)."""
    if path.is_dir():
        return len(_folder_images(path))
    if path.suffix.lower() in VIDEO_SUFFIXES:
        capture = cv2.VideoCapture(str(path))
        try:
            return int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        finally:
            capture.release()
    return 1


def iter_frames(path: Path) -> Iterator[Tuple[str, np.ndarray]]:
    """Yield (stem, BGR image) for an image file, each image of a folder, or each video frame."""
    if not path.exists():
        raise FileNotFoundError(f'input not found: {path}')
    if path.is_dir():
        for image_path in _folder_images(path):
            yield image_path.stem, read_image_bgr(image_path)
    elif path.suffix.lower() in VIDEO_SUFFIXES:
        yield from _video_frames(path)
    else:
        yield path.stem, read_image_bgr(path)


def _folder_images(folder: Path):
    images = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not images:
        raise ValueError(f'no images ({", ".join(IMAGE_SUFFIXES)}) in folder {folder}')
    return images


def _video_frames(path: Path) -> Iterator[Tuple[str, np.ndarray]]:
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise ValueError(f'cannot open video {path}')
    try:
        index = 0
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            yield f'{path.stem}_{index:06d}', frame
            index += 1
    finally:
        capture.release()

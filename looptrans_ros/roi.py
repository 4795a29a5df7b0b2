"""Regions of interest: ground a crop of the image and put its maps and peaks back in place."""
from dataclasses import dataclass, replace
from typing import List, Sequence, Tuple

import numpy as np

from looptrans_core import ImageFormatError, Peak


@dataclass(frozen=True)
class Roi:
    """sensor_msgs/RegionOfInterest's box in pixels; width = height = 0 is the whole image."""

    x_offset: int
    y_offset: int
    width: int
    height: int

    def checked(self, image_size: Tuple[int, int]) -> 'Roi':
        """Return this box checked against an image of (height, width); all 0 = the whole image.

        Raises:
            ImageFormatError: naming the box, the image size and what is accepted.
        """
        image_height, image_width = image_size
        if self.width == 0 and self.height == 0:
            if self.x_offset or self.y_offset:
                raise ImageFormatError(f'roi {self} has width = height = 0 (the whole image) '
                                       'but offsets that are not 0')
            return Roi(0, 0, image_width, image_height)
        if (min(self.x_offset, self.y_offset) < 0 or min(self.width, self.height) < 1
                or self.x_offset + self.width > image_width
                or self.y_offset + self.height > image_height):
            raise ImageFormatError(
                f'roi {self} is not inside the {image_width} x {image_height} image; accepted: '
                'width and height >= 1 with x_offset + width <= image width and y_offset + '
                'height <= image height, or all four 0 for the whole image')
        return self


def crop(pixels: np.ndarray, roi: Roi) -> np.ndarray:
    """Return the (height, width, ...) view of `pixels` inside a checked `roi`."""
    return pixels[roi.y_offset:roi.y_offset + roi.height, roi.x_offset:roi.x_offset + roi.width]


def paste_map(crop_map: np.ndarray, roi: Roi, image_size: Tuple[int, int]) -> np.ndarray:
    """Return a map of the whole (height, width) image: `crop_map` inside the roi, 0 outside."""
    if crop_map.shape[:2] != (roi.height, roi.width):
        raise ValueError(f'a {crop_map.shape[:2]} map does not fit roi {roi}; it must be '
                         '(roi.height, roi.width)')
    full = np.zeros(tuple(image_size) + crop_map.shape[2:], dtype=crop_map.dtype)
    crop(full, roi)[...] = crop_map
    return full


def shift_peaks(peaks: Sequence[Peak], roi: Roi) -> List[Peak]:
    """Return peaks found in the crop in pixels of the whole image."""
    return [replace(peak, u=peak.u + roi.x_offset, v=peak.v + roi.y_offset) for peak in peaks]

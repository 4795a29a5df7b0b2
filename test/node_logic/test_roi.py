"""Regions of interest: the checks, cropping, and pasting maps and peaks back into the image."""
from hypothesis import given, settings, strategies as st
import numpy as np
import pytest

from looptrans_core import ImageFormatError, Peak
from looptrans_ros.roi import crop, paste_map, Roi, shift_peaks


def test_all_zero_is_the_whole_image():
    assert Roi(0, 0, 0, 0).checked((480, 640)) == Roi(0, 0, 640, 480)
    assert Roi(10, 20, 30, 40).checked((480, 640)) == Roi(10, 20, 30, 40)


@pytest.mark.parametrize('roi', [Roi(600, 0, 41, 10), Roi(0, 470, 10, 11), Roi(5, 0, 0, 10),
                                 Roi(0, 0, 10, 0), Roi(-1, 0, 10, 10), Roi(3, 0, 0, 0)])
def test_a_box_outside_the_image_is_refused_with_what_is_accepted(roi):
    with pytest.raises(ImageFormatError, match=r'roi .*(640 x 480|offsets)'):
        roi.checked((480, 640))


def test_crop_paste_and_shift_by_hand():
    image = np.arange(5 * 6 * 3).reshape(5, 6, 3)
    roi = Roi(2, 1, 3, 2)
    assert crop(image, roi).tolist() == image[1:3, 2:5].tolist()
    pasted = paste_map(np.ones((2, 3), np.float32), roi, (5, 6))
    assert pasted.dtype == np.float32 and pasted.sum() == 6 and pasted[1:3, 2:5].all()
    assert shift_peaks([Peak(0.0, 1.5, 0.8)], roi) == [Peak(2.0, 2.5, 0.8)]
    with pytest.raises(ValueError, match='does not fit roi'):
        paste_map(np.ones((3, 2)), roi, (5, 6))


@settings(max_examples=100, deadline=None)
@given(data=st.data(), height=st.integers(1, 30), width=st.integers(1, 30))
def test_paste_of_a_crop_keeps_the_box_and_zeroes_the_rest(data, height, width):
    x = data.draw(st.integers(0, width - 1))
    y = data.draw(st.integers(0, height - 1))
    roi = Roi(x, y, data.draw(st.integers(1, width - x)),
              data.draw(st.integers(1, height - y))).checked((height, width))
    full = np.random.default_rng(x + 31 * y).random((height, width)) + 1.0
    pasted = paste_map(crop(full, roi).copy(), roi, (height, width))
    inside = np.zeros((height, width), bool)
    inside[y:y + roi.height, x:x + roi.width] = True
    assert (pasted[inside] == full[inside]).all() and (pasted[~inside] == 0).all()
    (peak,) = shift_peaks([Peak(roi.width - 1.0, 0.0, 1.0)], roi)
    assert pasted[int(peak.v), int(peak.u)] == full[y, x + roi.width - 1]

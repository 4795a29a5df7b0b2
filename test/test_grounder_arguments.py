"""Grounder arguments: every accepted form works once; anything else is one clear error.

The property tests throw random images (odd dtypes, shapes, objects) and random action
iterables at `ground` and `ground_batch`: each call returns well-formed maps or raises the
TypeError / ValueError that names the argument; nothing else may escape.
"""
from hypothesis import event, given, HealthCheck, settings, strategies as st
from hypothesis.extra import numpy as hnp
import numpy as np
import pytest

from looptrans_core.affordances import SEEN_AFFORDANCES
from looptrans_core.grounder import Grounder
from looptrans_core.peaks import grid_peak_candidates, PeakConfig
from model_factory import make_tiny_model

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
IMAGE = np.random.default_rng(0).integers(0, 256, (24, 32, 3), dtype=np.uint8)


@pytest.mark.parametrize('make', [
    lambda: ['cut', 'hold'], lambda: ('cut', 'hold'), lambda: (a for a in ['cut', 'hold']),
    lambda: iter(['cut', 'hold']), lambda: np.array(['cut', 'hold']),
    lambda: np.array(['cut', 'hold'], dtype=object), lambda: {'cut': 1, 'hold': 2}.keys(),
], ids=['list', 'tuple', 'generator', 'iterator', 'numpy-str', 'numpy-object', 'dict-keys'])
def test_any_iterable_of_action_names_is_read_once(tiny_grounder, make):
    expected = tiny_grounder.ground(IMAGE, ['cut', 'hold'], return_raw=True)
    results = tiny_grounder.ground(IMAGE, make(), return_raw=True)
    assert list(results) == ['cut', 'hold']
    assert all(type(name) is str for name in results)
    for name in results:
        np.testing.assert_array_equal(results[name].raw, expected[name].raw)


def test_one_string_is_one_action(tiny_grounder):
    assert list(tiny_grounder.ground(IMAGE, 'cut')) == ['cut']
    names = tiny_grounder.validate_actions(np.str_('hold'))
    assert names == ['hold'] and type(names[0]) is str


@pytest.mark.parametrize('actions, error, match', [
    (5, TypeError, 'actions must be one name .*or an iterable of names.*got int 5'),
    ([['hold']], TypeError, r"actions must hold names \(str\); item 0 is list \['hold'\]"),
    ([{'a': 1}], TypeError, r"item 0 is dict \{'a': 1\}"),
    ([None, 'cut'], TypeError, 'item 0 is None'),
    (b'cut', TypeError, 'got bytes'),
    (np.array([1, 2]), TypeError, 'item 0 is numpy int64 1'),
    (np.array([['cut']]), ValueError, r'1-D, got shape \(1, 1\)'),
    ([], ValueError, 'actions is empty; pass None for every affordance'),
    (iter([]), ValueError, 'actions is empty'),
    (['cut', 'fly'], ValueError, r"unknown action\(s\) \['fly'\]; valid actions: beat, boxing"),
    (['cut', 'hold', 'cut'], ValueError, r"actions name \['cut'\] more than once"),
], ids=['int', 'nested-list', 'dict-item', 'none-item', 'bytes', 'numpy-int', 'numpy-2d',
        'empty', 'empty-iterator', 'unknown', 'repeated'])
def test_bad_actions_name_the_argument_and_what_it_takes(tiny_grounder, actions, error, match):
    with pytest.raises(error, match=match):
        tiny_grounder.ground(IMAGE, actions)


@pytest.mark.parametrize('image, match', [
    (None, 'got None; cv2.imread returns None for a file it cannot read'),
    (5, 'as image, got int 5$'),
    ([IMAGE], 'use ground_batch'),
    (IMAGE.astype(np.float32), 'image must have dtype uint8'),
], ids=['none', 'int', 'list', 'float'])
def test_ground_takes_one_uint8_array(tiny_grounder, image, match):
    with pytest.raises(TypeError, match=match):
        tiny_grounder.ground(image, ['cut'])


@pytest.mark.parametrize('images, error, match', [
    (None, TypeError, 'takes a list of H x W x 3 uint8 numpy arrays, got None'),
    (IMAGE, TypeError, r'got a uint8 numpy array of shape \(24, 32, 3\); use ground\(\)'),
    ('image.png', TypeError, "got str 'image.png'"),
    ([IMAGE, None], TypeError, r'images\[1\] must be a numpy array'),
    ([IMAGE, IMAGE[:, :, :2]], ValueError, r'images\[1\] must be H x W x 3'),
    ([], ValueError, 'empty list of images'),
], ids=['none', 'one-array', 'str', 'none-item', 'two-channels', 'empty'])
def test_ground_batch_takes_a_sequence_of_images(tiny_grounder, images, error, match):
    with pytest.raises(error, match=match):
        tiny_grounder.ground_batch(images, ['cut'])


def test_ground_batch_takes_tuples_generators_and_a_4d_array(tiny_grounder):
    expected = tiny_grounder.ground_batch([IMAGE, IMAGE], 'cut', return_raw=True)
    for images in ((IMAGE, IMAGE), (image for image in [IMAGE, IMAGE]), np.stack([IMAGE] * 2)):
        results = tiny_grounder.ground_batch(images, 'cut', return_raw=True)
        for result, reference in zip(results, expected):
            np.testing.assert_array_equal(result['cut'].raw, reference['cut'].raw)


@pytest.mark.parametrize('channel_order, error, match', [
    (5, TypeError, "channel_order must be 'rgb', 'bgr' or a sequence of them.*got int 5"),
    (['rgb'], ValueError, '1 channel orders for 2 images'),
    (['rgb', 5], ValueError, 'channel_order must be one of'),
], ids=['int', 'too-few', 'int-item'])
def test_bad_channel_orders_are_refused(tiny_grounder, channel_order, error, match):
    with pytest.raises(error, match=match):
        tiny_grounder.ground_batch([IMAGE, IMAGE], 'cut', channel_order=channel_order)


def test_peak_config_must_be_a_peak_config(tiny_grounder):
    with pytest.raises(TypeError, match="peak_config must be a PeakConfig or None, got str 'x'"):
        tiny_grounder.ground(IMAGE, 'cut', peak_config='x')
    with pytest.raises(TypeError, match=r'peak_config must be a PeakConfig, got dict'):
        Grounder(make_tiny_model(), SEEN_AFFORDANCES, 'cpu', peak_config={'num_peaks': 1})


@pytest.mark.parametrize('affordances, match', [
    (('cut',) * 36, r"affordances: affordance names repeat \['cut'\]"),
    (SEEN_AFFORDANCES[:-1] + ('',), 'non-empty strings'),
    (5, 'affordances must be one name'),
    (SEEN_AFFORDANCES[:3], '3 affordance names for a model with 36'),
], ids=['repeated', 'empty-name', 'int', 'too-few'])
def test_affordance_names_are_checked_at_construction(affordances, match):
    with pytest.raises((TypeError, ValueError), match=match):
        Grounder(make_tiny_model(), affordances, 'cpu')


def test_peak_scores_are_clipped_like_heat_maps():
    grid = np.zeros((1, 4, 4), np.float32)
    grid[0, 1, 1] = np.nextafter(np.float32(1), np.float32(2))
    candidates = grid_peak_candidates(grid, (4, 4), PeakConfig(min_distance=1))
    assert candidates[0, 0, 2] == 1.0 and candidates[..., 2].max() <= 1.0


# Property tests ------------------------------------------------------------------------------


def _mostly(valid, odd):
    """Draw from `valid` three times in four, else from `odd`."""
    return st.integers(0, 3).flatmap(lambda pick: odd if pick == 0 else valid)


VALID_IMAGES = hnp.arrays(np.uint8, st.tuples(st.integers(1, 32), st.integers(1, 32), st.just(3)))
ODD_IMAGES = st.one_of(
    hnp.arrays(st.sampled_from([np.uint8, np.int8, np.uint16, np.int64, np.float32, np.float64,
                                np.bool_, np.complex64, np.object_]),
               hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=6)),
    hnp.arrays(np.uint8, st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(0, 5))),
    st.none(), st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=3),
    st.lists(VALID_IMAGES, min_size=1, max_size=2), st.dictionaries(st.text(max_size=2),
                                                                    st.integers(), max_size=2))
ANY_IMAGE = _mostly(VALID_IMAGES, ODD_IMAGES)
ITEMS = _mostly(
    st.lists(st.sampled_from(SEEN_AFFORDANCES), min_size=1, max_size=4, unique=True),
    st.lists(st.one_of(st.sampled_from(SEEN_AFFORDANCES), st.text(max_size=6), st.integers(),
                       st.none(), st.lists(st.sampled_from(SEEN_AFFORDANCES), max_size=2)),
             max_size=5))


def _numpy_array(items):
    """Return a 1-D numpy array of `items`: of dtype str when all are, else of objects."""
    if all(isinstance(item, str) for item in items):
        return np.array(items, dtype=str)
    array = np.empty(len(items), dtype=object)
    for index, item in enumerate(items):
        array[index] = item
    return array


WRAPPERS = {'list': list, 'tuple': tuple, 'generator': lambda items: (x for x in items),
            'iterator': iter, 'numpy': _numpy_array}


@st.composite
def actions_and_names(draw):
    """Draw an `actions` argument and the names it means (None where it must be refused)."""
    kind = draw(st.sampled_from(['none', 'one', 'list', 'tuple', 'generator', 'iterator',
                                 'numpy', 'odd']))
    if kind == 'none':
        return None, list(SEEN_AFFORDANCES)
    if kind == 'one':
        name = draw(st.one_of(st.sampled_from(SEEN_AFFORDANCES), st.text(max_size=6)))
        return name, _names_if_valid([name])
    if kind == 'odd':
        return draw(st.one_of(st.integers(), st.floats(), st.binary(max_size=4),
                              st.just(np.array([['cut']])))), None
    items = draw(ITEMS)
    return WRAPPERS[kind](items), _names_if_valid(items)


def _names_if_valid(items):
    valid = (items and all(isinstance(item, str) and item in SEEN_AFFORDANCES for item in items)
             and len(set(items)) == len(items))
    return list(items) if valid else None


def _is_valid_image(image):
    return (isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim == 3
            and image.shape[2] == 3 and image.shape[0] > 0 and image.shape[1] > 0)


def _check_maps(results, names, image):
    event('grounded')
    assert list(results) == names
    for name, result in results.items():
        assert result.action == name
        assert result.heatmap.shape == image.shape[:2] and result.heatmap.dtype == np.float32
        assert np.isfinite(result.heatmap).all()
        assert 0.0 <= result.heatmap.min() and result.heatmap.max() <= 1.0
        for peak in result.peaks:
            assert 0 <= peak.u < image.shape[1] and 0 <= peak.v < image.shape[0]
            assert 0.0 <= peak.score <= 1.0


def _refusal(error, argument):
    event(f'refused: {type(error).__name__} about {argument}')
    message = str(error)
    assert isinstance(error, (TypeError, ValueError)) and message and '\n' not in message
    assert argument in message, message


@SETTINGS
@given(image=ANY_IMAGE, drawn=actions_and_names(), threshold=st.floats(0.0, 1.0))
def test_ground_returns_maps_or_one_clear_error(tiny_grounder, image, drawn, threshold):
    actions, names = drawn
    try:
        results = tiny_grounder.ground(image, actions,
                                       peak_config=PeakConfig(threshold=threshold))
    except (TypeError, ValueError) as error:
        assert not (_is_valid_image(image) and names), f'valid input refused: {error}'
        _refusal(error, 'image' if not _is_valid_image(image) else 'action')
        return
    assert _is_valid_image(image) and names is not None
    _check_maps(results, names, image)


@SETTINGS
@given(images=st.lists(ANY_IMAGE, max_size=3), wrap=st.sampled_from([list, tuple, iter]),
       drawn=actions_and_names(), order=st.sampled_from(['rgb', 'bgr', 'per-image', 'odd']))
def test_ground_batch_returns_maps_or_one_clear_error(tiny_grounder, images, wrap, drawn, order):
    actions, names = drawn
    orders = {'per-image': ['bgr'] * len(images), 'odd': 'rgba'}.get(order, order)
    valid = images and all(map(_is_valid_image, images)) and order != 'odd' and names
    try:
        results = tiny_grounder.ground_batch(wrap(images), actions, channel_order=orders)
    except (TypeError, ValueError) as error:
        assert not valid, f'valid input refused: {error}'
        _refusal(error, 'image' if not (images and all(map(_is_valid_image, images))) else
                 'channel_order' if order == 'odd' else 'action')
        return
    assert valid
    assert len(results) == len(images)
    for result, image in zip(results, images):
        _check_maps(result, names, image)

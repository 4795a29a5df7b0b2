"""The Grounder: shapes, ranges, one pass for many actions, inputs of every size, clear errors."""
import numpy as np
from PIL import Image
import pytest
import torch
from torchvision import transforms

from looptrans_core.affordances import SEEN_AFFORDANCES
from looptrans_core.device import DeviceUnavailableError, resolve_device
from looptrans_core.postprocess import minmax_normalise
from looptrans_core.preprocess import normalise_batch


def _image(rng, height=120, width=160):
    return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)


def test_maps_have_input_size_and_unit_range(tiny_grounder, rng):
    image = _image(rng, 90, 130)
    results = tiny_grounder.ground(image, ['cut', 'hold'], return_raw=True)
    assert list(results) == ['cut', 'hold']
    for action, result in results.items():
        assert result.action == action
        assert result.heatmap.shape == (90, 130) and result.heatmap.dtype == np.float32
        assert result.heatmap.min() == 0.0 and result.heatmap.max() == pytest.approx(1.0)
        assert result.raw.shape == (14, 14)
        for peak in result.peaks:
            assert 0 <= peak.u < 130 and 0 <= peak.v < 90
            assert result.heatmap[int(peak.v), int(peak.u)] == pytest.approx(peak.score)


def test_grounding_is_deterministic(tiny_grounder, rng):
    image = _image(rng)
    first = tiny_grounder.ground(image, ['eat'])['eat']
    second = tiny_grounder.ground(image, ['eat'])['eat']
    np.testing.assert_array_equal(first.heatmap, second.heatmap)
    assert first.peaks == second.peaks


def test_many_actions_in_one_call_equal_one_call_each(tiny_grounder, rng):
    image = _image(rng)
    actions = ['cut_with', 'hold', 'sit_on', 'write']
    together = tiny_grounder.ground(image, actions, return_raw=True)
    for action in actions:
        alone = tiny_grounder.ground(image, [action], return_raw=True)[action]
        np.testing.assert_allclose(together[action].raw, alone.raw, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(together[action].heatmap, alone.heatmap, atol=1e-5)


def test_no_actions_means_every_affordance(tiny_grounder, rng):
    results = tiny_grounder.ground(_image(rng), return_raw=True)
    assert tuple(results) == SEEN_AFFORDANCES == tiny_grounder.affordances


def test_a_list_of_images_equals_single_calls(tiny_grounder, rng):
    images = [_image(rng, 100, 80), _image(rng, 64, 200)]
    batched = tiny_grounder.ground_batch(images, ['pour'], return_raw=True)
    for image, result in zip(images, batched):
        single = tiny_grounder.ground(image, ['pour'], return_raw=True)['pour']
        assert result['pour'].heatmap.shape == image.shape[:2]
        np.testing.assert_allclose(result['pour'].raw, single.raw, rtol=1e-4, atol=1e-5)


def test_the_steps_apart_equal_ground_batch_and_the_next_batch_can_be_prepared_early(
        tiny_grounder, rng):
    first = [rng.integers(0, 255, (40, 56, 3), dtype=np.uint8)]
    second = [rng.integers(0, 255, (30, 20, 3), dtype=np.uint8)]
    prepared = tiny_grounder.prepare(first, ['cut', 'hold'], channel_order='bgr')
    raw = tiny_grounder.network(prepared)
    early = tiny_grounder.prepare(second, 'hold')  # while the first is still to be finished
    steps = tiny_grounder.finish(prepared, raw)
    whole = tiny_grounder.ground_batch(first, ['cut', 'hold'], channel_order='bgr')
    for action in ('cut', 'hold'):
        assert np.array_equal(steps[0][action].heatmap, whole[0][action].heatmap)
        assert steps[0][action].peaks == whole[0][action].peaks
    later = tiny_grounder.finish(early, tiny_grounder.network(early))
    assert np.array_equal(later[0]['hold'].heatmap,
                          tiny_grounder.ground(second[0], 'hold')['hold'].heatmap)


@pytest.mark.parametrize('size', [(1, 1), (7, 3), (480, 640), (1500, 2000), (300, 40)])
def test_any_image_size_works(tiny_grounder, rng, size):
    result = tiny_grounder.ground(_image(rng, *size), ['kick'])['kick']
    assert result.heatmap.shape == size
    assert np.isfinite(result.heatmap).all()


def test_bgr_input_equals_rgb_of_reversed_channels(tiny_grounder, rng):
    image = _image(rng)
    rgb = tiny_grounder.ground(image, ['cut'], return_raw=True)['cut'].raw
    bgr = tiny_grounder.ground(image[:, :, ::-1], ['cut'], channel_order='bgr',
                               return_raw=True)['cut'].raw
    np.testing.assert_allclose(rgb, bgr, rtol=1e-6)


def test_unknown_action_names_the_valid_ones(tiny_grounder, rng):
    with pytest.raises(ValueError, match=r"unknown action.*'fly'.*beat, boxing"):
        tiny_grounder.ground(_image(rng), ['cut', 'fly'])


@pytest.mark.parametrize('image, error, message', [
    (np.zeros((10, 10, 3), np.float32), TypeError, 'dtype uint8'),
    (np.zeros((10, 10), np.uint8), ValueError, r'H x W x 3, got shape \(10, 10\)'),
    (np.zeros((10, 10, 4), np.uint8), ValueError, 'H x W x 3'),
    (np.zeros((0, 10, 3), np.uint8), ValueError, 'empty'),
    ([[1, 2, 3]], TypeError, 'numpy array'),
])
def test_bad_images_fail_clearly(tiny_grounder, image, error, message):
    with pytest.raises(error, match=message):
        tiny_grounder.ground_batch([image], ['cut'])


def test_ground_takes_one_image_and_ground_batch_a_list(tiny_grounder, rng):
    with pytest.raises(TypeError, match='use ground_batch'):
        tiny_grounder.ground([_image(rng)], ['cut'])
    with pytest.raises(ValueError, match='empty list'):
        tiny_grounder.ground_batch([], ['cut'])
    image = _image(rng)
    mixed = tiny_grounder.ground_batch([image, image[:, :, ::-1].copy()], ['cut'],
                                       channel_order=['rgb', 'bgr'], return_raw=True)
    np.testing.assert_allclose(mixed[0]['cut'].raw, mixed[1]['cut'].raw, rtol=1e-5, atol=1e-6)


def test_bad_channel_order_fails_clearly(tiny_grounder, rng):
    with pytest.raises(ValueError, match='channel_order must be one of'):
        tiny_grounder.ground(_image(rng), ['cut'], channel_order='rgba')


def test_preprocessing_matches_the_published_pil_transform(rng):
    image = _image(rng, 333, 517)
    published = transforms.Compose([
        transforms.Resize((224, 224)), transforms.ToTensor(),
        transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])
    expected = published(Image.fromarray(image))
    ours = normalise_batch([torch.from_numpy(image).permute(2, 0, 1)], 224,
                           (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))[0]
    grey_levels = ((ours - expected) * torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1) * 255)
    assert grey_levels.abs().max() <= 1.0 + 1e-3
    assert (grey_levels.abs() > 0.5).float().mean() < 0.01


def test_constant_map_normalises_to_zeros():
    maps = torch.stack([torch.full((5, 5), 3.0), torch.arange(25.0).reshape(5, 5)])
    normalised = minmax_normalise(maps)
    assert torch.equal(normalised[0], torch.zeros(5, 5))
    assert normalised[1].min() == 0 and normalised[1].max() == 1


def test_cuda_request_without_cuda_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip('CUDA is present on this machine')
    with pytest.raises(DeviceUnavailableError, match='CUDA is not available'):
        resolve_device('cuda')


def test_unknown_device_lists_accepted_ones():
    with pytest.raises(ValueError, match="expected 'auto', 'cpu'"):
        resolve_device('tpu')

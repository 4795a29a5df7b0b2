"""The frozen backbone: key channel order, CLS attention, weights loading, input checks."""
import pytest
import timm
import torch

from looptrans_core.model.backbone import CLS_ATTENTION_HEADS, create_vit, extract_features
from looptrans_core.model.backbone_registry import get_backbone_config, list_backbones


@pytest.fixture(scope='module')
def tiny_vit():
    torch.manual_seed(0)
    return create_vit(get_backbone_config('vit_tiny_test'))


def _hooked_qkv(vit, images):
    """Return the last block's qkv output from timm's own forward, and heads, dim, head_dim."""
    captured = {}
    handle = vit.blocks[-1].attn.qkv.register_forward_hook(
        lambda module, inputs, output: captured.setdefault('qkv', output))
    with torch.no_grad():
        vit.forward_features(images)
    handle.remove()
    heads, dim = vit.blocks[-1].attn.num_heads, vit.embed_dim
    return captured['qkv'], heads, dim, dim // heads


def test_keys_follow_published_channel_order(tiny_vit):
    images = torch.randn(2, 3, 224, 224)
    qkv, heads, dim, head_dim = _hooked_qkv(tiny_vit, images)
    keys_natural = qkv[:, 1:, dim:2 * dim]  # patch tokens, k part, channel h * head_dim + d
    expected = torch.empty_like(keys_natural)
    for d in range(head_dim):
        for h in range(heads):
            expected[:, :, d * heads + h] = keys_natural[:, :, h * head_dim + d]
    features = extract_features(tiny_vit, images)
    assert features.keys.shape == (2, 196, dim)
    assert features.grid == (14, 14)
    torch.testing.assert_close(features.keys, expected, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(features.keys, keys_natural)


def test_cls_attention_matches_hand_computation(tiny_vit):
    images = torch.randn(1, 3, 224, 224)
    qkv, _, dim, head_dim = _hooked_qkv(tiny_vit, images)
    maps = []
    for h in CLS_ATTENTION_HEADS:
        q = qkv[0, 0, h * head_dim:(h + 1) * head_dim]
        k = qkv[0, :, dim + h * head_dim: dim + (h + 1) * head_dim]
        maps.append(torch.softmax(k @ q / head_dim ** 0.5, dim=0)[1:])
    expected = torch.stack(maps).mean(0).reshape(14, 14)
    features = extract_features(tiny_vit, images, with_cls_attention=True)
    torch.testing.assert_close(features.cls_attention[0], expected, rtol=1e-5, atol=1e-6)


def test_backbone_is_frozen(tiny_vit):
    assert not tiny_vit.training
    assert all(not p.requires_grad for p in tiny_vit.parameters())


def test_local_dino_file_loads_by_timm_names(tmp_path, tiny_vit):
    path = tmp_path / 'dino_tiny.pth'
    torch.save(tiny_vit.state_dict(), path)
    loaded = create_vit(get_backbone_config('vit_tiny_test'), weights=path)
    for name, tensor in tiny_vit.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[name], tensor)


def test_unfit_local_file_names_the_keys(tmp_path, tiny_vit):
    state = dict(tiny_vit.state_dict())
    del state['cls_token']
    state['blocks.9.extra'] = torch.zeros(1)
    path = tmp_path / 'broken.pth'
    torch.save(state, path)
    with pytest.raises(ValueError, match=r'cls_token.*blocks\.9\.extra'):
        create_vit(get_backbone_config('vit_tiny_test'), weights=path)


def test_hub_weights_ask_timm_for_the_dino_tag(monkeypatch):
    calls = []
    real_create = timm.create_model

    def spy(name, pretrained=False, **kwargs):
        calls.append((name, pretrained))
        return real_create(name.split('.')[0], pretrained=False, **kwargs)

    monkeypatch.setattr(timm, 'create_model', spy)
    create_vit(get_backbone_config('vit_small_patch16_224'), weights='hub')
    assert calls == [('vit_small_patch16_224.dino', True)]


def test_hub_request_without_hub_tag_fails_clearly():
    with pytest.raises(ValueError, match='no pretrained weights on the hub'):
        create_vit(get_backbone_config('vit_tiny_test'), weights='hub')


@pytest.mark.parametrize('size', [(224, 320), (160, 160)])
def test_wrong_input_size_fails_clearly(tiny_vit, size):
    with pytest.raises(ValueError, match='backbone input must be 224x224'):
        extract_features(tiny_vit, torch.randn(1, 3, *size))


def test_unknown_backbone_lists_known_names():
    with pytest.raises(ValueError, match='vit_small_patch16_224'):
        get_backbone_config('resnet50')
    assert 'vit_tiny_test' in list_backbones()

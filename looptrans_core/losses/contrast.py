"""Losses that tie the egocentric branch to the exocentric CAMs: correlation and denoising."""
import torch
import torch.nn.functional as F


def correlation_loss(ego_maps: torch.Tensor, exo_maps: torch.Tensor) -> torch.Tensor:
    """1 - cosine similarity of the class-by-class Gram matrices of ego and exo maps.

    Args:
        ego_maps: (B, K, H, W) egocentric prediction maps.
        exo_maps: (B, E, K, H, W) CAMs of the E exocentric images, concatenated per class.
    """
    ego = ego_maps.flatten(2)
    exo = exo_maps.transpose(1, 2).flatten(2)
    ego_gram = ego @ ego.transpose(1, 2)
    exo_gram = exo @ exo.transpose(1, 2)
    return 1.0 - F.cosine_similarity(ego_gram, exo_gram, dim=1).mean()


def denoising_loss(exo_label_cams: torch.Tensor, exo_noise_cams: torch.Tensor,
                   exo_keys: torch.Tensor, ego_label_map: torch.Tensor,
                   ego_keys: torch.Tensor) -> torch.Tensor:
    """Contrast the exo affordance feature with the ego one against the noise-class features.

    Pooled features are spatial means of map * keys; the query and the exo negatives are also
    averaged over the E exocentric images. Loss = -log softmax(cosines)[positive], batch mean.

    Args:
        exo_label_cams: (B, E, H, W) exo CAMs of each sample's label.
        exo_noise_cams: (B, E, Q, H, W) exo CAMs of the Q noise classes.
        exo_keys: (B, E, C, H, W) raw backbone keys of the exo images.
        ego_label_map: (B, H, W) ego prediction of the label.
        ego_keys: (B, C, H, W) raw backbone keys of the ego image.
    """
    spatial = exo_keys.shape[-1] * exo_keys.shape[-2]
    num_exo = exo_keys.shape[1]
    query = torch.einsum('behw,bechw->bc', exo_label_cams, exo_keys) / (spatial * num_exo)
    positive = torch.einsum('bhw,bchw->bc', ego_label_map, ego_keys) / spatial
    negatives = torch.einsum('beqhw,bechw->bqc', exo_noise_cams, exo_keys) / (spatial * num_exo)
    keys = F.normalize(torch.cat([positive.unsqueeze(1), negatives], dim=1), dim=-1)
    cosines = (keys @ F.normalize(query, dim=-1).unsqueeze(-1)).squeeze(-1)
    return -F.log_softmax(cosines, dim=-1)[:, 0].mean()

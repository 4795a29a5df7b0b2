"""LoopTrans model: frozen ViT backbone, projection, pixel decoder, shared CAM branch, classifier."""

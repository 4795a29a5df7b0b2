"""LoopTrans model: frozen ViT backbone, projection, pixel decoder, CAM branch, classifier."""

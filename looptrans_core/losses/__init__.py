"""LoopTrans training losses and the part-cluster modularity loss."""

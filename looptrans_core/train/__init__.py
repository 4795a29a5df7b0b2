"""LoopTrans training: configuration, pseudo masks, optimiser, loop, checkpoints and resume."""

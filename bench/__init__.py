"""Benchmarks (not tests): speed and memory of LoopTrans inference, as ratios in one run."""

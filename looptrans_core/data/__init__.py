"""AGD20K data: the on-disk reader, the training and test datasets, and a synthetic generator."""

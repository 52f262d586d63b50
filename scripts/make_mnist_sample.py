"""Rebuild gradcheck/_data/mnist_sample.npz from ../shared/data/mnist_5k.csv.gz.

The sample is the first 200 digits of each class (2,000 in all), as uint8
pixels and int labels. Usage: python scripts/make_mnist_sample.py [CSV_GZ]
"""
import gzip
import pathlib
import sys

import numpy as np

src = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parents[2] / "shared/data/mnist_5k.csv.gz")
rows = np.loadtxt(gzip.open(src, "rt"), delimiter=",", dtype=np.int64)
pixels, labels = rows[:, :784], rows[:, 784]
keep = np.concatenate([np.flatnonzero(labels == d)[:200] for d in range(10)])
rng = np.random.default_rng(0)
keep = rng.permutation(keep)
out = pathlib.Path(__file__).parents[1] / "gradcheck/_data/mnist_sample.npz"
np.savez_compressed(out, images=pixels[keep].astype(np.uint8), labels=labels[keep].astype(np.uint8))
print(out, out.stat().st_size, "bytes,", len(keep), "digits")

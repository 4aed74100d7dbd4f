"""make_digits.py DIR: the handwritten digits of scikit-learn (8 x 8 images,
10 classes, shipped by Debian's python3-sklearn, no download) as a train/test
split for jobs/digits-predict.yaml:
  DIR/train_inputs.npy (1257 x 64), DIR/train_targets.npy (1257 x 10, one-hot),
  DIR/test_inputs.npy  (540 x 64),  DIR/test_targets.npy  (540 x 10, one-hot),
and the same inputs as images for conv nets (jobs/cntk-digits.yaml):
  DIR/train_images.npy (1257 x 8 x 8 x 1), DIR/test_images.npy (540 x 8 x 8 x 1).
Pixels are scaled to [0, 1] and each image centred and scaled to norm
sqrt(64) (the inputs' scale the ntk parameterisation expects); the split is
sklearn's train_test_split(test_size=0.3, random_state=0), stratified by class."""
import os
import sys

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
digits = load_digits()
x = digits.data / 16.0
x = x - x.mean(axis=1, keepdims=True)
x = x / np.linalg.norm(x, axis=1, keepdims=True) * np.sqrt(x.shape[1])
y = np.eye(10)[digits.target]
x_train, x_test, y_train, y_test = train_test_split(
    x, y, test_size=0.3, random_state=0, stratify=digits.target)
for name, array in (("train_inputs", x_train), ("train_targets", y_train),
                    ("test_inputs", x_test), ("test_targets", y_test)):
    np.save(os.path.join(out, f"{name}.npy"), np.ascontiguousarray(array, dtype=np.float64))
for name, array in (("train_images", x_train), ("test_images", x_test)):
    images = array.reshape(-1, 8, 8, 1)  # row-major pixels, one channel (channels last)
    np.save(os.path.join(out, f"{name}.npy"), np.ascontiguousarray(images, dtype=np.float64))
print(f"{out}: {len(x_train)} train, {len(x_test)} test images")

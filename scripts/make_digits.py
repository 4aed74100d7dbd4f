#!/usr/bin/env python3
"""Write scikit-learn's 8x8 handwritten digits (python3-sklearn ships them) as
.npy files for jobs/cnn-digits.yaml:

  scripts/make_digits.py [FOLDER]      (default: the jobs/ folder next to this script)

  digits-images.npy   (1797, 8, 8, 1) float64, pixel values / 16 (in [0, 1]),
                      channels last
  digits-targets.npy  (1797, 10) one-hot labels minus 1/10 (zero mean per class)
"""
import os
import sys

import numpy as np
from sklearn.datasets import load_digits

folder = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "jobs")
digits = load_digits()
images = (digits.images / 16.0)[..., None]
targets = np.eye(10)[digits.target] - 0.1
np.save(os.path.join(folder, "digits-images.npy"), images)
np.save(os.path.join(folder, "digits-targets.npy"), targets)
print(f"{images.shape[0]} digits: {os.path.join(folder, 'digits-images.npy')} {images.shape}, "
      f"digits-targets.npy {targets.shape}")

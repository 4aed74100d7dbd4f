"""Inputs for the property jobs in this folder (run from this folder):

  python3 make_data.py

  images.npy          (16, 8, 8, 3) standard normal images, channels last
  images_shifted.npy  the same images rolled by (3, 5) pixels along H and W
                      (np.roll: periodic), for stationarity.yaml
  vectors.npy         (16, 12) standard normal vectors
  vectors_rotated.npy the same vectors times a random orthogonal matrix Q
                      (x -> Q x), for rotation.yaml
"""
import numpy as np

rng = np.random.default_rng(2026)
images = rng.standard_normal((16, 8, 8, 3))
np.save("images.npy", images)
np.save("images_shifted.npy", np.roll(images, (3, 5), axis=(1, 2)))
vectors = rng.standard_normal((16, 12))
q, r = np.linalg.qr(rng.standard_normal((12, 12)))
q *= np.sign(np.diag(r))  # Haar-distributed orthogonal matrix
np.save("vectors.npy", vectors)
np.save("vectors_rotated.npy", vectors @ q.T)

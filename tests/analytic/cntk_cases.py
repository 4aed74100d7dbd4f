"""cntk_cases.py DIR write|check: the conv-net cases of conv_reference.sh.

write: the inputs (1-d (N, L, C) and 2-d (N, H, W, C) arrays) and one job
file per case into DIR, and the case names on stdout.
check: each case's DIR/out-NAME/theta.npy and nngp.npy (kernel.kind
analytic, written by ntkgram) against the independent per-pair numpy
recursion of cntk_reference.py, to 1e-12 relative (max |a - b| / max |b|);
exit status 1 naming every case that differs.

Together the cases cover every padding (same, valid, circular), stride 2,
kernel sizes 1 to 3 (non-square too), avg_pool (stride 1 and its default
stride), global_avg_pool, flatten + dense, relu, erf and identity, with and
without bias (b_std 0), 1-d and 2-d inputs."""
import os
import sys

import numpy as np
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cntk_reference  # noqa: E402

W_STD = 1.3

CASES = {
    # name: (inputs, b_std, layers)
    "same_relu_flatten": ("x2d", 0.2, [{"conv": {"channels": 3, "kernel": 3}}, "relu",
                                       {"conv": {"channels": 2, "kernel": [2, 3]}}, "erf",
                                       "flatten", {"dense": 4}, "relu", {"dense": 2}]),
    "valid_stride2_pool": ("x2d", 0.0, [{"conv": {"channels": 3, "kernel": 2, "padding": "valid",
                                                  "stride": 2}}, "relu",
                                        {"conv": {"channels": 2, "kernel": [1, 2],
                                                  "padding": "valid"}}, "relu",
                                        {"avg_pool": {"window": [2, 1], "stride": 1}},
                                        "flatten", {"dense": 1}]),
    "circular_gap": ("x2d", 0.3, [{"conv": {"channels": 3, "kernel": 3, "padding": "circular"}},
                                  "erf", {"conv": {"channels": 2, "kernel": [3, 2],
                                                   "padding": "circular"}}, "relu",
                                  "global_avg_pool", {"dense": 3}]),
    "pool_default_stride": ("x2d", 0.1, [{"conv": {"channels": 2, "kernel": 1}}, "relu",
                                         {"avg_pool": 2}, {"conv": {"channels": 2, "kernel": 2,
                                                                    "padding": "same"}},
                                         "identity", "flatten", {"dense": 1}]),
    "one_d_same_valid": ("x1d", 0.25, [{"conv": {"channels": 3, "kernel": 3}}, "relu",
                                       {"conv": {"channels": 2, "kernel": 2, "padding": "valid",
                                                 "stride": 2}}, "erf", "flatten", {"dense": 2}]),
    # ten channels: the input covariance by DGEMM (eight or fewer: a loop)
    "one_d_circular_pool_gap": ("x1d10", 0.0, [{"conv": {"channels": 2, "kernel": 3,
                                                       "padding": "circular"}}, "relu",
                                             {"avg_pool": {"window": 2, "stride": 1}},
                                             {"conv": {"channels": 2, "kernel": 2,
                                                       "padding": "valid"}}, "relu",
                                             "global_avg_pool", {"dense": 1}]),
    "pool_then_flatten_relu": ("x2d", 0.2, [{"conv": {"channels": 2, "kernel": 3,
                                                      "padding": "valid"}}, "relu",
                                            {"avg_pool": {"window": [2, 1], "stride": 1}},
                                            "flatten", {"dense": 3}, "erf", {"dense": 1}]),
}


def write(folder):
    rng = np.random.default_rng(11)
    np.save(f"{folder}/x2d.npy", rng.standard_normal((5, 6, 5, 2)))
    np.save(f"{folder}/x1d.npy", rng.standard_normal((5, 7, 3)))
    np.save(f"{folder}/x1d10.npy", rng.standard_normal((5, 7, 10)))
    for name, (inputs, b_std, layers) in CASES.items():
        job = {"data": {"inputs": f"{inputs}.npy"},
               "model": {"layers": layers, "w_std": W_STD, "b_std": b_std},
               "kernel": {"kind": "analytic", "nngp": True},
               "grid": {"block": 2},
               "spectrum": {"solver": "none"},
               "output": {"dir": f"out-{name}", "theta": True, "plot": False}}
        with open(f"{folder}/{name}.yaml", "w") as file:
            yaml.safe_dump(job, file, default_flow_style=None, sort_keys=False)
        print(name)


def check(folder):
    failures = []
    for name, (inputs, b_std, layers) in CASES.items():
        x = np.load(f"{folder}/{inputs}.npy")
        theta, nngp = cntk_reference.kernels(x, layers, W_STD, b_std)
        for label, want in (("theta", theta), ("nngp", nngp)):
            got = np.load(f"{folder}/out-{name}/{label}.npy")
            error = np.abs(got - want).max() / np.abs(want).max()
            print(f"{name}: {label}.npy vs the numpy recursion: max relative difference "
                  f"{error:.2e}")
            if not error < 1e-12:
                failures.append(f"{name} {label}: {error:.2e}")
    if failures:
        sys.exit("analytic conv kernels differ from the reference: " + "; ".join(failures))


if __name__ == "__main__":
    {"write": write, "check": check}[sys.argv[2]](sys.argv[1])

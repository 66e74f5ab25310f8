"""Loads a run exported by `d2l export RUN_DIR` into d2l's PyTorch network and prints its test
accuracy on Fashion-MNIST, to compare with `d2l evaluate RUN_DIR`.

The network is rebuilt from the file's parameter names as d2l writes it: `nn.Sequential` with
`nn.Flatten()` at 0, an `nn.Linear` at each index that has a weight, `nn.ReLU()` after every
`nn.Linear` but the last and `nn.Dropout()` in the places left (the dropout networks);
`load_state_dict(strict=True)` then takes the file whole. Evaluated in `eval()` mode (dropout
off) in float32 on the CPU, as d2l's `evaluate_accuracy` does.

Usage (torch, numpy and safetensors in a venv of your own, outside the repository):
    python3 bench/parity/load_export.py RUN_DIR/model.safetensors [--data-dir datasets]
"""

import argparse
import gzip
import os

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file
from torch import nn


def network(state):
    """d2l's nn.Sequential for the parameter names of `state`."""
    linear = sorted(int(name.split(".")[0]) for name in state if name.endswith(".weight"))
    modules = [nn.Dropout() for _ in range(linear[-1] + 1)]
    if linear[0] == 1:
        modules[0] = nn.Flatten()
    for k, index in enumerate(linear):
        outputs, inputs = state[f"{index}.weight"].shape
        modules[index] = nn.Linear(inputs, outputs)
        if k + 1 < len(linear):
            modules[index + 1] = nn.ReLU()
    return nn.Sequential(*modules)


def fashion_test(data_dir):
    """Fashion-MNIST's test split as d2l reads it: pixels / 255 as float32, [n, 1, 28, 28]."""
    root = os.path.join(data_dir, "fashion-mnist")

    def read(name, offset):
        with gzip.open(os.path.join(root, name), "rb") as f:
            return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)

    x = read("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28).astype(np.float32) / 255
    y = read("t10k-labels-idx1-ubyte.gz", 8).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--data-dir", default="datasets")
    args = parser.parse_args()
    with safe_open(args.file, framework="pt") as f:
        metadata = f.metadata()
    state = load_file(args.file)
    net = network(state)
    net.load_state_dict(state, strict=True)
    net.eval()
    print(f"{metadata.get('experiment')}: {net}")
    x, y = fashion_test(args.data_dir)
    with torch.no_grad():
        hits = sum(int((net(x[i : i + 2048]).argmax(1) == y[i : i + 2048]).sum())
                   for i in range(0, len(y), 2048))
    print(f"test accuracy in PyTorch {torch.__version__}: {hits / len(y):.4f} ({hits} of {len(y)})")


if __name__ == "__main__":
    main()

"""PyTorch reference for `cargo xtask bench`: the same recipes as the Burn benchmark.

Concise softmax regression on Fashion-MNIST (d2l 3.7): batch 256, SGD lr 0.1, weights
N(0, 0.01^2); `TensorDataset` + `DataLoader(shuffle=True)`; an epoch is the training pass plus
the test evaluation. Threads: as many as the machine has cores. Prints one JSON object with
the same fields as Burn's `Figures`.

Usage: python3 bench/pytorch_reference.py --epochs 5 --data-dir datasets
"""

import argparse
import gzip
import json
import os
import statistics
import time

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def load(data_dir):
    """Fashion-MNIST as float tensors in [0, 1] and int64 labels, like d2l's loader."""
    root = os.path.join(data_dir, "fashion-mnist")

    def read(name, offset):
        with gzip.open(os.path.join(root, name), "rb") as f:
            return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)

    x = torch.from_numpy(read("train-images-idx3-ubyte.gz", 16).reshape(-1, 784).astype(np.float32) / 255)
    y = torch.from_numpy(read("train-labels-idx1-ubyte.gz", 8).astype(np.int64))
    x_test = torch.from_numpy(read("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784).astype(np.float32) / 255)
    y_test = torch.from_numpy(read("t10k-labels-idx1-ubyte.gz", 8).astype(np.int64))
    return x, y, x_test, y_test


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--data-dir", default="datasets")
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(42)

    loads = []
    for _ in range(3):
        start = time.perf_counter()
        x, y, x_test, y_test = load(args.data_dir)
        loads.append(time.perf_counter() - start)

    train_iter = DataLoader(TensorDataset(x, y), batch_size=256, shuffle=True)
    test_iter = DataLoader(TensorDataset(x_test, y_test), batch_size=256)
    net = nn.Sequential(nn.Linear(784, 10))
    nn.init.normal_(net[0].weight, std=0.01)
    nn.init.zeros_(net[0].bias)
    loss = nn.CrossEntropyLoss()
    trainer = torch.optim.SGD(net.parameters(), lr=0.1)

    epochs, accuracy = [], 0.0
    for _ in range(max(args.epochs, 1)):
        start = time.perf_counter()
        net.train()
        for features, labels in train_iter:
            trainer.zero_grad()
            loss(net(features), labels).backward()
            trainer.step()
        net.eval()
        correct = 0
        with torch.no_grad():
            for features, labels in test_iter:
                correct += (net(features).argmax(1) == labels).sum().item()
        accuracy = correct / len(y_test)
        epochs.append(time.perf_counter() - start)

    print(json.dumps({
        "load_seconds": statistics.median(loads),
        "softmax_epoch_seconds": statistics.median(epochs),
        "softmax_test_acc": accuracy,
    }))


if __name__ == "__main__":
    main()

"""PyTorch reference for `cargo xtask bench`: the same recipes as the Burn benchmark.

- Fashion-MNIST load: the four gzip'd IDX files into float tensors in [0, 1] and int64 labels.
- softmax (d2l 3.7): Linear(784, 10), W ~ N(0, 0.01^2), b = 0, SGD lr 0.1, batch 256.
- mlp (d2l 4.3): 784-256-10 with ReLU, the same initialisation, SGD lr 0.1, batch 256.
- dropout (d2l 4.6): 784-256-256-10, dropout 0.2 and 0.5, default init, SGD lr 0.5, batch 256;
  concise (nn.Dropout) and from scratch (d2l's `dropout_layer` with a `torch.rand` mask).
- house (d2l 4.10): the book's preprocessing (pandas), Linear(330, 1), MSE, Adam lr 5, weight
  decay 0, batch 64, 5-fold cross-validation x 100 epochs, timed as a whole.

Each Fashion-MNIST epoch is the training pass plus the test evaluation, with
`TensorDataset` + `DataLoader(shuffle=True)`; epoch times are medians of the epochs after the
first (the steady state, as Burn's are; with one epoch, that one). Threads: as many as
the machine has cores. Prints one JSON object with the same fields as Burn's `Figures`.

Needs torch, numpy and pandas. Usage:
    python3 bench/pytorch_reference.py --epochs 5 --data-dir datasets
"""

import argparse
import gzip
import json
import os
import statistics
import time

import numpy as np
import pandas as pd
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


def normal_init(module):
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, std=0.01)
        nn.init.zeros_(module.bias)


def dropout_layer(x, dropout):
    """d2l 4.6.1's dropout from scratch."""
    mask = (torch.rand(x.shape) > dropout).float()
    return mask * x / (1.0 - dropout)


class DropoutScratch(nn.Module):
    """d2l 4.6.1's network: hand-written dropout between nn.Linear layers."""

    def __init__(self):
        super().__init__()
        self.lin1 = nn.Linear(784, 256)
        self.lin2 = nn.Linear(256, 256)
        self.lin3 = nn.Linear(256, 10)

    def forward(self, x):
        h1 = torch.relu(self.lin1(x))
        if self.training:
            h1 = dropout_layer(h1, 0.2)
        h2 = torch.relu(self.lin2(h1))
        if self.training:
            h2 = dropout_layer(h2, 0.5)
        return self.lin3(h2)


def classify(net, lr, epochs, data):
    """Trains `net` with d2l's train_ch3 loop; returns the steady-state median epoch time and
    the accuracy."""
    x, y, x_test, y_test = data
    train_iter = DataLoader(TensorDataset(x, y), batch_size=256, shuffle=True)
    test_iter = DataLoader(TensorDataset(x_test, y_test), batch_size=256)
    loss = nn.CrossEntropyLoss()
    trainer = torch.optim.SGD(net.parameters(), lr=lr)
    times, accuracy = [], 0.0
    for _ in range(max(epochs, 1)):
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
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:] or times), accuracy


def house(data_dir, k=5, epochs=100):
    """d2l 4.10's K-fold validation of the linear model; returns (seconds, train, valid)."""
    root = os.path.join(data_dir, "kaggle-house")
    train_data = pd.read_csv(os.path.join(root, "train.csv"))
    test_data = pd.read_csv(os.path.join(root, "test.csv"))
    features = pd.concat((train_data.iloc[:, 1:-1], test_data.iloc[:, 1:]))
    numeric = features.select_dtypes("number").columns
    features[numeric] = features[numeric].apply(lambda x: (x - x.mean()) / x.std())
    features[numeric] = features[numeric].fillna(0)
    features = pd.get_dummies(features, dummy_na=True) * 1.0
    n = train_data.shape[0]
    x = torch.tensor(features[:n].values, dtype=torch.float32)
    y = torch.tensor(train_data.SalePrice.values.reshape(-1, 1), dtype=torch.float32)

    def log_rmse(net, features, labels):
        clipped = torch.clamp(net(features), 1, float("inf"))
        return torch.sqrt(nn.MSELoss()(torch.log(clipped), torch.log(labels))).item()

    start = time.perf_counter()
    fold = n // k
    train_sum = valid_sum = 0.0
    for i in range(k):
        valid = slice(i * fold, (i + 1) * fold)
        mask = torch.ones(n, dtype=torch.bool)
        mask[valid] = False
        mask[k * fold:] = False
        x_train, y_train, x_valid, y_valid = x[mask], y[mask], x[valid], y[valid]
        net = nn.Sequential(nn.Linear(x.shape[1], 1))
        optimizer = torch.optim.Adam(net.parameters(), lr=5, weight_decay=0)
        loss = nn.MSELoss()
        train_iter = DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True)
        for _ in range(epochs):
            for features_b, labels_b in train_iter:
                optimizer.zero_grad()
                loss(net(features_b), labels_b).backward()
                optimizer.step()
            train_score = log_rmse(net, x_train, y_train)
            valid_score = log_rmse(net, x_valid, y_valid)
        train_sum += train_score
        valid_sum += valid_score
    return time.perf_counter() - start, train_sum / k, valid_sum / k


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
        data = load(args.data_dir)
        loads.append(time.perf_counter() - start)

    softmax = nn.Sequential(nn.Linear(784, 10))
    softmax.apply(normal_init)
    softmax_seconds, softmax_acc = classify(softmax, 0.1, args.epochs, data)

    mlp = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    mlp.apply(normal_init)
    mlp_seconds, mlp_acc = classify(mlp, 0.1, args.epochs, data)

    dropout = nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2),
        nn.Linear(256, 256), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(256, 10),
    )
    dropout_seconds, dropout_acc = classify(dropout, 0.5, args.epochs, data)
    scratch_seconds, scratch_acc = classify(DropoutScratch(), 0.5, args.epochs, data)

    house_seconds, house_train, house_valid = house(args.data_dir)

    print(json.dumps({
        "load_seconds": statistics.median(loads),
        "softmax_epoch_seconds": softmax_seconds,
        "softmax_test_acc": softmax_acc,
        "mlp_epoch_seconds": mlp_seconds,
        "mlp_test_acc": mlp_acc,
        "dropout_epoch_seconds": dropout_seconds,
        "dropout_test_acc": dropout_acc,
        "dropout_scratch_epoch_seconds": scratch_seconds,
        "dropout_scratch_test_acc": scratch_acc,
        "house_kfold_seconds": house_seconds,
        "house_train_log_rmse": house_train,
        "house_valid_log_rmse": house_valid,
    }))


if __name__ == "__main__":
    main()

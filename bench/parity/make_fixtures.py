"""Step-by-step parity fixtures: d2l's own PyTorch code for the first steps of each recipe.

For every recipe this runs d2l's code (chapters 3-4) from fixed initial parameters on fixed
minibatches and saves what the Rust parity tests (crates/d2l/tests/parity.rs) compare the
project's models and updaters with: the initial parameters, the minibatches' example indices,
the loss of every step (measured before the step's update, as d2l's train_epoch_ch3 reads
it: the mean over the batch of the data loss, without a penalty), and the parameters after
the last step.

Format (no Python needed to read it): bench/parity/fixtures/index.json describes each recipe
and names its arrays, stored once each, by content, as raw little-endian files in
bench/parity/fixtures/arrays/ (`<sha256[:16]>.f32` or `.i32`); weights are stored as
[inputs, outputs], Burn's layout (PyTorch's nn.Linear keeps [outputs, inputs]).
bench/parity/fixtures/SHA256SUMS lists every file's digest; the tests check it, and running
this script again with the versions recorded in index.json must reproduce it.

Made with one thread (torch.set_num_threads(1)) so that every reduction has one order.
Usage (torch, numpy and pandas in a venv of your own, outside the repository):
    python3 bench/parity/make_fixtures.py [--data-dir datasets] [--out bench/parity/fixtures]
"""

import argparse
import gzip
import hashlib
import json
import os
import platform
import shutil

import numpy as np
import pandas as pd
import torch
from torch import nn

STEPS = 20
SEED = 0


def fashion(data_dir):
    """Fashion-MNIST's training split as d2l reads it: pixels / 255 as float32, int64 labels."""
    root = os.path.join(data_dir, "fashion-mnist")

    def read(name, offset):
        with gzip.open(os.path.join(root, name), "rb") as f:
            return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)

    x = read("train-images-idx3-ubyte.gz", 16).reshape(-1, 784).astype(np.float32) / 255
    y = read("train-labels-idx1-ubyte.gz", 8).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def batches(n, batch_size, steps, generator):
    """The first `steps` minibatches of d2l's shuffled loader (a new permutation per epoch)."""
    rows = []
    while len(rows) < steps * batch_size:
        perm = torch.randperm(n, generator=generator)
        usable = (n // batch_size) * batch_size
        rows.extend(perm[:usable].tolist())
    return torch.tensor(rows[: steps * batch_size]).reshape(steps, batch_size)


# d2l 3.6's hand-written pieces.
def softmax(x):
    x_exp = torch.exp(x)
    return x_exp / x_exp.sum(1, keepdim=True)


def cross_entropy(y_hat, y):
    return -torch.log(y_hat[range(len(y_hat)), y])


def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def l2_penalty(w):
    return torch.sum(w.pow(2)) / 2


def run(step, idx):
    """Runs `step(rows) -> loss` over the minibatches; the losses, as floats."""
    return [float(step(rows)) for rows in idx]


def optimizer_steps(forward, parameters, lr, loss, x, y, idx):
    """d2l's train_epoch_ch3 with a torch optimizer (SGD at `lr`): per minibatch, the mean
    of `loss`, backward, step. Returns the losses."""
    trainer = torch.optim.SGD(parameters, lr=lr)

    def step(rows):
        l = loss(forward(x[rows]), y[rows])
        trainer.zero_grad()
        l.mean().backward()
        trainer.step()
        return l.mean().item()

    return run(step, idx)


def linear_params(layers):
    """nn.Linear layers' parameters as [w0, b0, w1, b1, ...], weights transposed to Burn's
    [inputs, outputs]."""
    out = []
    for layer in layers:
        out += [layer.weight.detach().t().contiguous().clone(), layer.bias.detach().clone()]
    return out


def set_linear(layers, params):
    with torch.no_grad():
        for i, layer in enumerate(layers):
            layer.weight.copy_(params[2 * i].t())
            layer.bias.copy_(params[2 * i + 1])


def classifier_recipes(x, y, generator):
    """softmax-scratch, softmax, mlp-scratch, mlp, dropout-scratch and dropout (p = 0)."""
    idx = batches(len(x), 256, STEPS, generator)
    ce = nn.CrossEntropyLoss(reduction="none")
    recipes = {}

    # d2l 3.6 and 3.7: W ~ N(0, 0.01^2), b = 0 (the concise model starts from the same values).
    w = torch.normal(0, 0.01, size=(784, 10), generator=generator)
    b = torch.zeros(10)
    init = [w.clone(), b.clone()]

    W, B = w.clone().requires_grad_(), b.clone().requires_grad_()

    def step(rows):
        l = cross_entropy(softmax(x[rows] @ W + B), y[rows])
        loss = l.mean().item()
        l.sum().backward()
        sgd([W, B], 0.1, len(rows))
        return loss

    recipes["softmax-scratch"] = (
        "d2l 3.6: hand-written softmax, cross_entropy and sgd; lr 0.1, batch 256",
        0.1, 256, init, run(step, idx), [W.detach(), B.detach()], idx)

    net = nn.Linear(784, 10)
    set_linear([net], init)
    losses = optimizer_steps(net, net.parameters(), 0.1, ce, x, y, idx)
    recipes["softmax"] = (
        "d2l 3.7: nn.Linear, CrossEntropyLoss(reduction='none'), torch.optim.SGD; lr 0.1, batch 256",
        0.1, 256, init, losses, linear_params([net]), idx)

    # d2l 4.2 and 4.3: 784-256-10, W ~ N(0, 0.01^2), b = 0.
    w1 = torch.randn(784, 256, generator=generator) * 0.01
    w2 = torch.randn(256, 10, generator=generator) * 0.01
    init = [w1, torch.zeros(256), w2, torch.zeros(10)]
    params = [p.clone().requires_grad_() for p in init]

    def mlp_scratch(X):
        W1, b1, W2, b2 = params
        h = torch.max(X @ W1 + b1, torch.zeros_like(b1))
        return h @ W2 + b2

    losses = optimizer_steps(mlp_scratch, params, 0.1, ce, x, y, idx)
    recipes["mlp-scratch"] = (
        "d2l 4.2: hand-held W1, b1, W2, b2, relu by hand, CrossEntropyLoss, torch.optim.SGD; "
        "lr 0.1, batch 256",
        0.1, 256, init, losses, [p.detach() for p in params], idx)

    net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    set_linear([net[0], net[2]], init)
    losses = optimizer_steps(net, net.parameters(), 0.1, ce, x, y, idx)
    recipes["mlp"] = (
        "d2l 4.3: nn.Sequential(Linear, ReLU, Linear), CrossEntropyLoss, torch.optim.SGD; "
        "lr 0.1, batch 256",
        0.1, 256, init, losses, linear_params([net[0], net[2]]), idx)

    # d2l 4.6: 784-256-256-10 with PyTorch's default initialisation, dropout off (p = 0: its
    # masks are tested apart), lr 0.5.
    torch.manual_seed(SEED)
    layers = [nn.Linear(784, 256), nn.Linear(256, 256), nn.Linear(256, 10)]
    init = linear_params(layers)

    def dropout_layer(h, dropout):
        assert 0 <= dropout <= 1
        if dropout == 1:
            return torch.zeros_like(h)
        if dropout == 0:
            return h
        mask = (torch.rand(h.shape) > dropout).float()
        return mask * h / (1.0 - dropout)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin1, self.lin2, self.lin3 = nn.Linear(784, 256), nn.Linear(256, 256), nn.Linear(256, 10)
            self.relu = nn.ReLU()

        def forward(self, X):
            H1 = dropout_layer(self.relu(self.lin1(X)), 0.0)
            H2 = dropout_layer(self.relu(self.lin2(H1)), 0.0)
            return self.lin3(H2)

    scratch = Net()
    set_linear([scratch.lin1, scratch.lin2, scratch.lin3], init)
    concise = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.0),
                            nn.Linear(256, 256), nn.ReLU(), nn.Dropout(0.0), nn.Linear(256, 10))
    set_linear([concise[0], concise[3], concise[6]], init)
    for name, net, layers, what in [
        ("dropout-scratch", scratch, [scratch.lin1, scratch.lin2, scratch.lin3],
         "d2l 4.6.1: Net with dropout_layer"),
        ("dropout", concise, [concise[0], concise[3], concise[6]], "d2l 4.6.2: nn.Sequential with nn.Dropout"),
    ]:
        net.train()
        losses = optimizer_steps(net, net.parameters(), 0.5, ce, x, y, idx)
        recipes[name] = (
            what + " (dropout 0), CrossEntropyLoss, torch.optim.SGD; lr 0.5, batch 256",
            0.5, 256, init, losses, linear_params(layers), idx)
    return recipes


def weight_decay_recipes(generator):
    """d2l 4.5 at lambda 3: the hand-written penalty with sgd, and SGD's weight_decay on the
    weight's parameter group only (the concise version's loss is nn.MSELoss, not d2l's
    squared_loss)."""
    n_train, num_inputs, batch_size, lr, lambd = 20, 200, 5, 0.003, 3.0
    true_w, true_b = torch.ones((num_inputs, 1)) * 0.01, 0.05
    X = torch.normal(0, 1, (n_train, num_inputs), generator=generator)
    y = X @ true_w + true_b + torch.normal(0, 0.01, (n_train, 1), generator=generator)
    idx = batches(n_train, batch_size, STEPS, generator)
    init = [torch.normal(0, 1, size=(num_inputs, 1), generator=generator), torch.zeros(1)]
    data = {"x": X, "y": y}
    recipes = {}

    w, b = [p.clone().requires_grad_() for p in init]

    def step(rows):
        out = X[rows] @ w + b
        l = squared_loss(out, y[rows]) + lambd * l2_penalty(w)
        loss = squared_loss(out, y[rows]).mean().item()
        l.sum().backward()
        sgd([w, b], lr, len(rows))
        return loss

    recipes["weight-decay-penalty"] = (
        "d2l 4.5.3: squared_loss + lambd * l2_penalty(w), hand-written sgd; lambda 3, lr 0.003, batch 5",
        lr, batch_size, init, run(step, idx), [w.detach(), b.detach()], idx, lambd, data)

    net = nn.Linear(num_inputs, 1)
    set_linear([net], init)
    groups = [{"params": net.weight, "weight_decay": lambd}, {"params": net.bias}]
    losses = optimizer_steps(net, groups, lr, nn.MSELoss(reduction="none"), X, y, idx)
    recipes["weight-decay-optimizer"] = (
        "d2l 4.5.4: nn.Linear, MSELoss, SGD with weight_decay on the weight's group only; "
        "lambda 3, lr 0.003, batch 5",
        lr, batch_size, init, losses, linear_params([net]), idx, lambd, data)
    return recipes


def house_recipe(data_dir, generator):
    """d2l 4.10: the book's preprocessing, nn.Linear(330, 1), MSELoss, Adam lr 5, batch 64."""
    root = os.path.join(data_dir, "kaggle-house")
    train_data = pd.read_csv(os.path.join(root, "train.csv"))
    test_data = pd.read_csv(os.path.join(root, "test.csv"))
    features = pd.concat((train_data.iloc[:, 1:-1], test_data.iloc[:, 1:]))
    # d2l's `dtypes != 'object'`: pandas 3 reads text as its own string dtype.
    numeric = features.select_dtypes(include="number").columns
    features[numeric] = features[numeric].apply(lambda x: (x - x.mean()) / x.std())
    features[numeric] = features[numeric].fillna(0)
    features = pd.get_dummies(features, dummy_na=True) * 1.0
    n = train_data.shape[0]
    X = torch.tensor(features[:n].values, dtype=torch.float32)
    y = torch.tensor(train_data.SalePrice.values.reshape(-1, 1), dtype=torch.float32)
    idx = batches(n, 64, STEPS, generator)
    torch.manual_seed(SEED)
    net = nn.Linear(X.shape[1], 1)
    init = linear_params([net])
    loss = nn.MSELoss()
    trainer = torch.optim.Adam(net.parameters(), lr=5, weight_decay=0)

    def step(rows):
        trainer.zero_grad()
        l = loss(net(X[rows]), y[rows])
        l.backward()
        trainer.step()
        return l.item()

    first = X[idx[0]].clone()
    return {"house": (
        "d2l 4.10: the book's preprocessing, nn.Linear(330, 1), MSELoss, Adam(lr=5, "
        "weight_decay=0); batch 64",
        5.0, 64, init, run(step, idx), linear_params([net]), idx, None, {"first_batch": first})}


class Store:
    """Arrays stored once each, by content."""

    def __init__(self, out):
        self.dir = os.path.join(out, "arrays")
        os.makedirs(self.dir, exist_ok=True)

    def put(self, tensor, dtype):
        array = tensor.detach().cpu().numpy().astype("<f4" if dtype == "f32" else "<i4")
        data = np.ascontiguousarray(array).tobytes()
        name = hashlib.sha256(data).hexdigest()[:16] + "." + dtype
        with open(os.path.join(self.dir, name), "wb") as f:
            f.write(data)
        return {"file": "arrays/" + name, "shape": list(array.shape)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", default="datasets")
    parser.add_argument("--out", default=os.path.join("bench", "parity", "fixtures"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    generator = torch.Generator().manual_seed(SEED)

    recipes = {}
    x, y = fashion(args.data_dir)
    recipes.update(classifier_recipes(x, y, generator))
    recipes.update(weight_decay_recipes(generator))
    recipes.update(house_recipe(args.data_dir, generator))

    shutil.rmtree(args.out, ignore_errors=True)
    store = Store(args.out)
    index = {
        "made_with": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "threads": 1,
            "seed": SEED,
        },
        "steps": STEPS,
        "recipes": {},
    }
    for name, recipe in recipes.items():
        what, lr, batch_size, init, losses, final, idx = recipe[:7]
        entry = {
            "recipe": what,
            "lr": lr,
            "batch_size": batch_size,
            "batches": store.put(idx, "i32"),
            "init": [store.put(p, "f32") for p in init],
            "losses": losses,
            "final": [store.put(p, "f32") for p in final],
        }
        if len(recipe) > 7:
            lambd, data = recipe[7], recipe[8]
            if lambd is not None:
                entry["lambda"] = lambd
            entry["data"] = {key: store.put(value, "f32") for key, value in data.items()}
        index["recipes"][name] = entry
    with open(os.path.join(args.out, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")
    lines = []
    for root, _, files in os.walk(args.out):
        for file in files:
            path = os.path.join(root, file)
            rel = os.path.relpath(path, args.out)
            if rel == "SHA256SUMS":
                continue
            with open(path, "rb") as f:
                lines.append(f"{hashlib.sha256(f.read()).hexdigest()}  {rel}")
    with open(os.path.join(args.out, "SHA256SUMS"), "w") as f:
        f.write("\n".join(sorted(lines, key=lambda l: l.split()[1])) + "\n")
    size = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(args.out) for f in fs)
    print(f"{len(recipes)} recipes, {size / 1e6:.2f} MB in {args.out}")


if __name__ == "__main__":
    main()

"""Independent reference for the attribution gradients: BertForSequenceClassification entered at layer k,
written with PyTorch functional ops in float64, differentiated by torch.autograd.

stdin: [{"dir", "input_ids": [..], "token_type_ids": [..], "baseline_ids": [..], "layer": k,
         "hidden": [seq * hidden] (a state at layer k to take the gradient at), "intervals": n}, ...]
stdout: [{"gradient": [..], "attributions": [..], "score": F(x), "baseline_score": F(x')}, ...]
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "reference"))
from torch_bert import load_tensors  # noqa: E402


class Model:
    def __init__(self, directory):
        with open(os.path.join(directory, "config.json")) as f:
            self.config = json.load(f)
        self.w = load_tensors(directory)
        self.h = self.config["hidden_size"]
        self.eps = self.config.get("layer_norm_eps", 1e-12)

    def norm(self, t, prefix):
        return F.layer_norm(t, (self.h,), self.w[prefix + ".weight"], self.w[prefix + ".bias"], self.eps)

    def embed(self, ids, types):
        w = self.w
        n = ids.shape[-1]
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:n]
            + w["embeddings.token_type_embeddings.weight"][types]
        )
        return self.norm(x, "embeddings.LayerNorm")

    def layer(self, x, index):
        w, h = self.w, self.h
        heads = self.config["num_attention_heads"]
        d = h // heads
        n = x.shape[-2]
        p = f"encoder.layer.{index}."

        def linear(t, name):
            return F.linear(t, w[p + name + ".weight"], w[p + name + ".bias"])

        def split(t):
            return t.view(-1, n, heads, d).transpose(1, 2)

        q, k, v = (split(linear(x, f"attention.self.{name}")) for name in ("query", "key", "value"))
        probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d), dim=-1)
        context = (probs @ v).transpose(1, 2).reshape(-1, n, h)
        attended = self.norm(linear(context, "attention.output.dense") + x, p + "attention.output.LayerNorm")
        inner = F.gelu(linear(attended, "intermediate.dense"))
        return self.norm(linear(inner, "output.dense") + attended, p + "output.LayerNorm")

    def score_from(self, x, start):
        for index in range(start, self.config["num_hidden_layers"]):
            x = self.layer(x, index)
        pooled = torch.tanh(F.linear(x[:, 0], self.w["pooler.dense.weight"], self.w["pooler.dense.bias"]))
        logits = F.linear(pooled, self.w["classifier.weight"], self.w["classifier.bias"])
        return logits[:, 0] if logits.shape[-1] == 1 else torch.softmax(logits, dim=-1)[:, 1]

    def state(self, ids, types, k):
        x = self.embed(torch.tensor([ids]), torch.tensor([types]))
        for index in range(k):
            x = self.layer(x, index)
        return x


def answer(request):
    model = Model(request["dir"])
    k = request["layer"]
    n = len(request["input_ids"])
    given = torch.tensor(request["hidden"], dtype=torch.float64).reshape(1, n, model.h).requires_grad_(True)
    model.score_from(given, k).sum().backward()
    with torch.no_grad():
        x = model.state(request["input_ids"], request["token_type_ids"], k)
        baseline = model.state(request["baseline_ids"], request["token_type_ids"], k)
    intervals = request["intervals"]
    alphas = torch.linspace(0, 1, intervals + 1, dtype=torch.float64)[:, None, None]
    points = (baseline + alphas * (x - baseline)).requires_grad_(True)
    scores = model.score_from(points, k)
    scores.sum().backward()
    weights = torch.ones(intervals + 1, dtype=torch.float64)
    weights[0] = weights[-1] = 0.5
    mean_gradient = (points.grad * weights[:, None, None]).sum(0) / intervals
    attributions = ((x[0] - baseline[0]) * mean_gradient).sum(-1)
    return {
        "gradient": given.grad.flatten().tolist(),
        "attributions": attributions.tolist(),
        "score": scores[-1].item(),
        "baseline_score": scores[0].item(),
    }


def main():
    json.dump([answer(r) for r in json.load(sys.stdin)], sys.stdout)


if __name__ == "__main__":
    main()

"""Second, independent reference: HF BertForSequenceClassification's forward written with PyTorch's
own functional ops (F.layer_norm, F.gelu, softmax) in float64, batched with HF's extended padding mask.

stdin: [{"dir": CHECKPOINT_DIR, "input_ids": [[..]], "token_type_ids": [[..]], "attention_mask": [[..]]}, ...]
stdout: [{"logits": [[..]], "attentions": [layer][batch][head][i][j]}, ...]   (one torch start-up for many checkpoints)
"""
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def load_tensors(directory):
    index = os.path.join(directory, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    else:
        files = ["model.safetensors"]
    tensors = {}
    for name in files:
        with open(os.path.join(directory, name), "rb") as f:
            data = f.read()
        (length,) = struct.unpack("<Q", data[:8])
        header = json.loads(data[8 : 8 + length])
        base = 8 + length
        for key, entry in header.items():
            dtype = DTYPES.get(entry.get("dtype")) if isinstance(entry, dict) else None
            if key == "__metadata__" or dtype is None:
                continue
            begin, end = entry["data_offsets"]
            raw = bytearray(data[base + begin : base + end])
            t = torch.frombuffer(raw, dtype=dtype).reshape(entry["shape"]).to(torch.float64)
            tensors[key[len("bert.") :] if key.startswith("bert.") else key] = t
    return tensors


def forward(config, w, ids, types, mask):
    batch, n = ids.shape
    h = config["hidden_size"]
    heads = config["num_attention_heads"]
    d = h // heads
    eps = config.get("layer_norm_eps", 1e-12)

    def norm(t, prefix):
        return F.layer_norm(t, (h,), w[prefix + ".weight"], w[prefix + ".bias"], eps)

    x = (
        w["embeddings.word_embeddings.weight"][ids]
        + w["embeddings.position_embeddings.weight"][:n]
        + w["embeddings.token_type_embeddings.weight"][types]
    )
    x = norm(x, "embeddings.LayerNorm")
    extended = (1.0 - mask[:, None, None, :].to(torch.float64)) * torch.finfo(torch.float64).min
    attentions = []
    for layer in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{layer}."

        def linear(t, name):
            return F.linear(t, w[p + name + ".weight"], w[p + name + ".bias"])

        def split(t):
            return t.view(batch, n, heads, d).transpose(1, 2)

        q = split(linear(x, "attention.self.query"))
        k = split(linear(x, "attention.self.key"))
        v = split(linear(x, "attention.self.value"))
        probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d) + extended, dim=-1)
        attentions.append(probs)
        context = (probs @ v).transpose(1, 2).reshape(batch, n, h)
        attended = norm(linear(context, "attention.output.dense") + x, p + "attention.output.LayerNorm")
        inner = F.gelu(linear(attended, "intermediate.dense"))
        x = norm(linear(inner, "output.dense") + attended, p + "output.LayerNorm")
    pooled = torch.tanh(F.linear(x[:, 0], w["pooler.dense.weight"], w["pooler.dense.bias"]))
    return F.linear(pooled, w["classifier.weight"], w["classifier.bias"]), attentions


def answer(request):
    with open(os.path.join(request["dir"], "config.json")) as f:
        config = json.load(f)
    weights = load_tensors(request["dir"])
    logits, attentions = forward(
        config,
        weights,
        torch.tensor(request["input_ids"]),
        torch.tensor(request["token_type_ids"]),
        torch.tensor(request["attention_mask"]),
    )
    return {"logits": logits.tolist(), "attentions": [a.tolist() for a in attentions]}


def main():
    json.dump([answer(r) for r in json.load(sys.stdin)], sys.stdout)


if __name__ == "__main__":
    main()

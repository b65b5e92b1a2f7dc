"""BERT-base cross-encoder forward throughput on a GPU (pairs/s), the figure the cluster projection in the README
uses. Random weights in bert-base-uncased's shape (only speed means anything here), PyTorch + transformers on the
GPU node; RankLens itself would run its own ONNX graphs through onnxruntime's CUDA provider, whose speed for this
model is of the same order (both call cuBLAS for the GEMMs that dominate) but is not what is measured here.

Usage: python3 bench/gpu/bert_base_throughput.py [--out FILE.json]
"""
import json
import sys
import time

import torch
from transformers import BertConfig, BertForSequenceClassification


def measure(model, batch, seq, iters=10):
    ids = torch.randint(1000, 30000, (batch, seq), device="cuda")
    types = torch.zeros_like(ids)
    types[:, seq // 8 :] = 1
    mask = torch.ones_like(ids)
    with torch.inference_mode():
        for _ in range(3):
            model(input_ids=ids, token_type_ids=types, attention_mask=mask)
        torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(iters):
            model(input_ids=ids, token_type_ids=types, attention_mask=mask)
        torch.cuda.synchronize()
        seconds = time.perf_counter() - start
    return batch * iters / seconds


def main():
    out = sys.argv[sys.argv.index("--out") + 1] if "--out" in sys.argv else None
    torch.manual_seed(0)
    results = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "tf32": False, "runs": []}
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    for attention in ["sdpa", "eager"]:
        config = BertConfig(
            vocab_size=30522,
            hidden_size=768,
            num_hidden_layers=12,
            num_attention_heads=12,
            intermediate_size=3072,
            max_position_embeddings=512,
            num_labels=2,
            attn_implementation=attention,
        )
        for dtype in [torch.float32, torch.bfloat16]:
            model = BertForSequenceClassification(config).to("cuda", dtype).eval()
            for seq in [128, 256, 512]:
                if attention == "eager" and seq != 256:
                    continue
                pairs_per_s = measure(model, 256, seq)
                run = {"attention": attention, "dtype": str(dtype).replace("torch.", ""), "seq": seq, "batch": 256,
                       "pairs_per_s": round(pairs_per_s, 1)}
                results["runs"].append(run)
                print(json.dumps(run), flush=True)
            del model
            torch.cuda.empty_cache()
    print(json.dumps(results))
    if out:
        with open(out, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()

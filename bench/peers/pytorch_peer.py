"""PyTorch peer of `npm run bench peers`: scores the pairs of a JSON-lines file with one tool, one thread count
and one batch size, and prints one JSON object (timings, peak RSS, scores) on stdout.

Run by bench/peers.ts, one process per configuration so that peak RSS is this configuration's own:
  .venv/bin/python bench/peers/pytorch_peer.py --tool st|hf --model DIR --pairs FILE --threads T --batch B
st: sentence-transformers CrossEncoder.predict (identity activation: raw logits); hf: plain transformers
AutoModelForSequenceClassification under torch.inference_mode. Both in float32, max_length 256, query then
passage (hf: truncation only_second; st: its own default, the same for these short queries).
"""

import argparse
import json
import resource
import time

started = time.perf_counter()
import torch  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--tool", choices=["st", "hf"], required=True)
parser.add_argument("--model", required=True)
parser.add_argument("--pairs", required=True, help="JSON lines of [query, passage]")
parser.add_argument("--threads", type=int, required=True)
parser.add_argument("--batch", type=int, required=True)
parser.add_argument("--max-length", type=int, default=256)
args = parser.parse_args()

torch.set_num_threads(args.threads)
with open(args.pairs, encoding="utf-8") as f:
    pairs = [tuple(json.loads(line)) for line in f if line.strip()]

if args.tool == "st":
    from sentence_transformers import CrossEncoder

    imported = time.perf_counter()
    model = CrossEncoder(
        args.model,
        num_labels=1,
        max_length=args.max_length,
        activation_fn=torch.nn.Identity(),
        device="cpu",
        local_files_only=True,
        model_kwargs={"dtype": torch.float32},
    )
    model.eval()

    def score(batch):
        return model.predict(batch, batch_size=args.batch, show_progress_bar=False).reshape(-1).tolist()

else:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    imported = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(args.model, local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(
        args.model, local_files_only=True, dtype=torch.float32
    ).eval()

    def score(batch):
        out = []
        with torch.inference_mode():
            for i in range(0, len(batch), args.batch):
                chunk = batch[i : i + args.batch]
                enc = tokenizer(
                    [q for q, _ in chunk],
                    [p for _, p in chunk],
                    padding=True,
                    truncation="only_second",
                    max_length=args.max_length,
                    return_tensors="pt",
                )
                out.extend(model(**enc).logits[:, 0].tolist())
        return out


loaded = time.perf_counter()
score(pairs[: args.batch])  # warm-up, as RankLens's timed runs follow a warm-up too
t = time.perf_counter()
scores = score(pairs)
seconds = time.perf_counter() - t
print(
    json.dumps(
        {
            "importSeconds": imported - started,
            "loadSeconds": loaded - imported,
            "seconds": seconds,
            "peakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "torchThreads": torch.get_num_threads(),
            "scores": scores,
        }
    )
)

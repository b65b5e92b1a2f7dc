"""Trains ranklens-mini from scratch as a listwise cross-encoder (1 positive + N-1 negatives per group,
softmax cross-entropy over the group's logits, num_labels = 1, score = logit).

Run with Debian's PyTorch:  /usr/bin/python3 models/ranklens-mini/recipe/train.py --minutes 55
The learning-rate schedule follows progress = max(step / steps, elapsed / time budget), so a run that is
slowed down by a shared CPU still warms up and decays fully. A checkpoint is written every
--checkpoint-every steps (and at the end) into models/ranklens-mini/.
"""
import argparse
import json
import os
import random
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import MODEL_DIR, SHARED, WORKSPACE, collate, load_model, model_config, save_checkpoint, tokenizer  # noqa: E402
from data import Material  # noqa: E402
from modeling import BertForSequenceClassification  # noqa: E402


def match_init(model, layers):
    """Gives the first attention layers a prior for exact term matching: with query = key = a random
    orthonormal projection, a token's attention score is highest on other occurrences of the same
    wordpiece (identical embeddings), so the model starts out looking at query/passage overlaps."""
    hidden = model.config["hidden_size"]
    for layer in model.bert.encoder.layer[:layers]:
        q, _ = torch.linalg.qr(torch.randn(hidden, hidden))
        # Orthonormal rows: per head |Q_h x|^2 ~ head_dim for a LayerNormed x, so two occurrences of one word
        # score ~ (word share of the embedding variance) * sqrt(head_dim) ~ 5 against ~N(0, 1) for others.
        layer.attention.self.query.weight.data.copy_(q)
        layer.attention.self.key.weight.data.copy_(q)
    # Let word identity dominate the initial embeddings (positions and segments start smaller).
    model.bert.embeddings.position_embeddings.weight.data.normal_(0.0, 0.01)
    model.bert.embeddings.token_type_embeddings.weight.data.normal_(0.0, 0.01)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=100000)
    ap.add_argument("--minutes", type=float, default=55.0)
    ap.add_argument("--groups", type=int, default=4, help="query groups per batch")
    ap.add_argument("--group-size", type=int, default=8, help="1 positive + (group-size - 1) negatives")
    ap.add_argument("--max-length", type=int, default=160)
    ap.add_argument("--lr", type=float, default=4e-4)
    ap.add_argument("--warmup", type=float, default=0.05)
    ap.add_argument("--real-fraction", type=float, default=0.3)
    ap.add_argument("--hard-fraction", type=float, default=0.75, help="share of BM25-mined negatives at the end")
    ap.add_argument("--curriculum", type=float, default=0.3,
                    help="progress by which the hard-negative share ramps up from 0 (random negatives first)")
    ap.add_argument("--pseudo-per-passage", type=int, default=6)
    ap.add_argument("--checkpoint-every", type=int, default=100)
    ap.add_argument("--seed", type=int, default=20200725)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=MODEL_DIR)
    ap.add_argument("--match-init-layers", type=int, default=0,
                    help="initialise query = key projections in the first N layers (a term-matching prior)")
    ap.add_argument("--init", default=None,
                    help="continue from this checkpoint folder (a second stage with a fresh learning-rate schedule)")
    ap.add_argument("--pseudo-start", type=int, default=0,
                    help="index of the first pseudo-query to use (a second stage skips those the first one saw)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    t0 = time.time()
    tok = tokenizer()
    material = Material(WORKSPACE, SHARED, args.seed)
    passages = [tok.encode(t) for t in material.texts]
    pseudo = material.pseudo_groups(args.pseudo_per_passage, tok)
    print(f"data ready in {time.time() - t0:.0f}s: {len(passages)} passages, {len(material.real)} real train "
          f"queries, {len(pseudo)} pseudo-queries; stems {material.stems}", flush=True)
    query_cache = {}

    def encode_query(q):
        if q not in query_cache:
            query_cache[q] = tok.encode(q)
        return query_cache[q]

    if args.init:
        model = load_model(args.init)
    else:
        model = BertForSequenceClassification(model_config())
        if args.match_init_layers:
            match_init(model, args.match_init_layers)
    decay = [p for n, p in model.named_parameters() if not (n.endswith("bias") or "LayerNorm" in n)]
    no_decay = [p for n, p in model.named_parameters() if n.endswith("bias") or "LayerNorm" in n]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.98), eps=1e-6)
    budget = args.minutes * 60
    rng = material.rng
    pseudo_at = args.pseudo_start
    start = time.time()
    model.train()
    log = []
    ema = None
    step = 0
    while step < args.steps:
        elapsed = time.time() - start
        progress = max(step / args.steps, elapsed / budget)
        if progress >= 1.0:
            break
        lr = args.lr * (progress / args.warmup if progress < args.warmup else (1 - progress) / (1 - args.warmup))
        for g in opt.param_groups:
            g["lr"] = lr
        pairs = []
        for _ in range(args.groups):
            if rng.random() < args.real_fraction:
                q, positives, mined = rng.choice(material.real)
            else:
                q, positives, mined = pseudo[pseudo_at % len(pseudo)]
                pseudo_at += 1
            pos = rng.choice(positives)
            hard = args.hard_fraction * min(1.0, progress / args.curriculum) if args.curriculum else args.hard_fraction
            negs = material.negatives(mined, positives, args.group_size - 1, hard)
            qids = encode_query(q)
            for d in [pos] + negs:
                pairs.append(tok.encode_pair(qids, passages[d], args.max_length))
        ids, types, mask = collate(pairs, tok.pad_id)
        logits, _ = model(ids, types, mask)
        logits = logits.view(args.groups, args.group_size)
        loss = torch.nn.functional.cross_entropy(logits, torch.zeros(args.groups, dtype=torch.long))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        if step % 10 == 0:
            acc = (logits.argmax(1) == 0).float().mean().item()
            line = {"step": step, "min": round((time.time() - start) / 60, 2), "lr": round(lr, 7),
                    "loss": round(loss.item(), 4), "loss_ema": round(ema, 4), "hard": round(hard, 3), "batch_top1": acc,
                    "width": ids.shape[1]}
            log.append(line)
            print(json.dumps(line), flush=True)
        if step % args.checkpoint_every == 0:
            model.eval()
            save_checkpoint(model, args.out)
            model.train()
    model.eval()
    save_checkpoint(model, args.out)
    summary = {"steps": step, "minutes": round((time.time() - start) / 60, 2),
               "examples_seen": step * args.groups * args.group_size, "pseudo_queries_used": pseudo_at,
               "args": vars(args), "final_loss_ema": ema, "threads": torch.get_num_threads(),
               "torch": torch.__version__}
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "train_summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print("done", json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()

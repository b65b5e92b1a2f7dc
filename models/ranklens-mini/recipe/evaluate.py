"""Evaluates ranklens-mini against BM25 on the sample workspace and writes eval.json and
reference_scores.json (PyTorch logits for real query/passage pairs, for checking other runtimes).

Run: /usr/bin/python3 models/ranklens-mini/recipe/evaluate.py [--model-dir DIR] [--workspace DIR] [--limit N]
Sets (sample-workspace v2 file names): DL19 with the real Anserini BM25 top-100 (run.dl19.bm25.tsv/.trec, graded
qrels.dl19.txt) and the 200 held-out dev600 queries with their real BM25 top-20 (run.dev600-heldout.bm25.tsv).
Metrics: nDCG@10 as trec_eval's ndcg_cut.10 (gain = graded label, log2 discount, ideal ranking from all
judged passages of the query); MRR@10 counting a passage relevant when its label >= the threshold (2 for DL19,
as TREC does for its binary measures on graded passage judgements; 1 for MS MARCO dev). Both systems rank
the same BM25 top-100 candidates; ties are broken by passage id.
"""
import argparse
import json
import math
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import HERE, MODEL_DIR, WORKSPACE, collate, load_model, tokenizer  # noqa: E402
from data import read_qrels, read_run, read_tsv  # noqa: E402


def ndcg_at(ranking, qrels, k=10):
    dcg = sum(qrels.get(pid, 0) / math.log2(i + 2) for i, pid in enumerate(ranking[:k]) if qrels.get(pid, 0) > 0)
    ideal = sorted((r for r in qrels.values() if r > 0), reverse=True)[:k]
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def rr_at(ranking, qrels, threshold, k=10):
    for i, pid in enumerate(ranking[:k]):
        if qrels.get(pid, 0) >= threshold:
            return 1.0 / (i + 1)
    return 0.0


@torch.no_grad()
def score_pairs(model, tok, pairs, batch_size=64):
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]))
    scores = [0.0] * len(pairs)
    for s in range(0, len(order), batch_size):
        chunk = order[s : s + batch_size]
        ids, types, mask = collate([pairs[i] for i in chunk], tok.pad_id)
        logits, _ = model(ids, types, mask)
        for i, v in zip(chunk, logits[:, 0].tolist()):
            scores[i] = v
    return scores


def read_trec_scores(path):
    scores = {}
    with open(path) as f:
        for line in f:
            qid, _, pid, _, score, _ = line.split()
            scores[(qid, pid)] = float(score)
    return scores


def fuse(run_scores, model_scores, weight=0.5):
    """Untuned fusion: per-query z-normalised BM25 and model scores, averaged (weight 0.5 each)."""
    fused = {}
    for qid, pairs in model_scores.items():
        def z(values):
            mean = sum(values) / len(values)
            std = (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5 or 1.0
            return [(v - mean) / std for v in values]
        pids = [p for p, _ in pairs]
        zm = z([s for _, s in pairs])
        zb = z([run_scores[(qid, p)] for p in pids])
        combined = [(p, weight * a + (1 - weight) * b) for p, a, b in zip(pids, zm, zb)]
        fused[qid] = [p for p, _ in sorted(combined, key=lambda x: (-x[1], x[0]))]
    return fused


def rerank(model, tok, queries, run, texts, max_length):
    pairs, keys = [], []
    passage_ids = {}
    for qid, q in queries:
        qids = tok.encode(q)
        for pid in run.get(qid, []):
            if pid not in passage_ids:
                passage_ids[pid] = tok.encode(texts[pid])
            pairs.append(tok.encode_pair(qids, passage_ids[pid], max_length))
            keys.append((qid, pid))
    scores = score_pairs(model, tok, pairs)
    ranked = {}
    for (qid, pid), s in zip(keys, scores):
        ranked.setdefault(qid, []).append((pid, s))
    return {qid: [p for p, _ in sorted(v, key=lambda x: (-x[1], x[0]))] for qid, v in ranked.items()}, ranked


def evaluate_set(name, queries, qrels, run, rankings, mrr_threshold, with_ndcg, fused):
    out = {"queries": len(queries)}
    for system, ranking in (("bm25", run), ("ranklens-mini", rankings), ("fusion_bm25_ranklens-mini", fused)):
        rows = {"mrr@10": sum(rr_at(ranking.get(q, []), qrels[q], mrr_threshold) for q, _ in queries) / len(queries)}
        if with_ndcg:
            rows["ndcg@10"] = sum(ndcg_at(ranking.get(q, []), qrels[q]) for q, _ in queries) / len(queries)
        rows = {k: round(v, 4) for k, v in rows.items()}
        out[system] = rows
    print(name, json.dumps(out), flush=True)
    return out


def reference_pairs(tok, model, texts, sets, max_length):
    """Ten real pairs: for a few DL19 and dev queries, the top BM25 passage and a judged/unjudged one."""
    chosen = []
    dl19_queries, dl19_qrels, dl19_run = sets["dl19"]
    dev_queries, dev_qrels, dev_run = sets["dev600-heldout"]
    for qid, q in dl19_queries[:3]:
        best = max(((p, r) for p, r in dl19_qrels[qid].items() if p in texts), key=lambda x: (x[1], x[0]))[0]
        chosen.append((qid, q, best, max_length))
        chosen.append((qid, q, dl19_run[qid][-1], max_length))
    for qid, q in dev_queries[:3]:
        chosen.append((qid, q, next(p for p in dev_qrels[qid] if p in texts), max_length))
        chosen.append((qid, q, dev_run[qid][-1], max_length))
    longest = max(texts, key=lambda p: len(tok.encode(texts[p])))
    chosen.append((dl19_queries[0][0], dl19_queries[0][1], longest, 512))
    out = []
    for qid, q, pid, length in chosen:
        ids, types = tok.encode_pair(tok.encode(q), tok.encode(texts[pid]), length)
        batch = collate([(ids, types)], tok.pad_id)
        with torch.no_grad():
            logits, _ = model(*batch)
        out.append({"qid": qid, "query": q, "pid": pid, "passage": texts[pid], "max_length": length,
                    "input_ids": ids, "token_type_ids": types, "attention_mask": [1] * len(ids),
                    "logits": [round(v, 6) for v in logits[0].tolist()], "score": round(logits[0, 0].item(), 6)})
    # The same pairs padded together in one batch must give the same logits (padding is masked).
    batch = collate([(r["input_ids"], r["token_type_ids"]) for r in out], tok.pad_id)
    with torch.no_grad():
        batched, _ = model(*batch)
    drift = max(abs(b - r["score"]) for b, r in zip(batched[:, 0].tolist(), out))
    return out, drift


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", default=MODEL_DIR)
    ap.add_argument("--workspace", default=WORKSPACE)
    ap.add_argument("--max-length", default="256", help="comma-separated; the first is also used for the reference pairs")
    ap.add_argument("--limit", type=int, default=0, help="only the first N queries of each set (smoke test)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=None, help="directory for eval.json / reference_scores.json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    t0 = time.time()
    tok = tokenizer()
    model = load_model(args.model_dir)
    texts = dict(read_tsv(os.path.join(args.workspace, "collection.tsv")))
    sets = {}
    for name in ("dl19", "dev600-heldout"):
        queries = read_tsv(os.path.join(args.workspace, f"queries.{name}.tsv"))
        qrels = read_qrels(os.path.join(args.workspace, f"qrels.{name}.txt"))
        run = read_run(os.path.join(args.workspace, f"run.{name}.bm25.tsv"))
        queries = [(q, t) for q, t in queries if q in qrels]
        if args.limit:
            queries = queries[: args.limit]
        sets[name] = (queries, qrels, run)
    lengths = [int(x) for x in args.max_length.split(",")]
    result = {"model": "ranklens-mini", "max_query_wordpieces": 32,
              "candidates": "real BM25 lists: DL19 Anserini top-100, dev600 held-out top-20 (sample-workspace/run.*.bm25.tsv)",
              "ndcg": "trec_eval ndcg_cut.10: gain = graded label, ideal from all judged passages of the query",
              "mrr_relevance_threshold": {"dl19": 2, "dev600-heldout": 1},
              "fusion": "not tuned: mean of per-query z-normalised BM25 and model scores (weight 0.5)"}
    for length in lengths:
        key = f"max_length_{length}"
        result[key] = {}
        for name, threshold, with_ndcg in (("dl19", 2, True), ("dev600-heldout", 1, False)):
            queries, qrels, run = sets[name]
            rankings, raw = rerank(model, tok, queries, run, texts, length)
            trec = os.path.join(args.workspace, f"run.{name}.bm25.trec")
            # Without BM25 scores (the dev600 lists carry ranks only) fusion uses minus the BM25 rank.
            bm25 = read_trec_scores(trec) if os.path.exists(trec) else {
                (q, p): -float(i) for q, pids in run.items() for i, p in enumerate(pids)}
            fused = fuse(bm25, raw)
            result[key][name] = evaluate_set(f"{name}@{length}", queries, qrels, run, rankings, threshold, with_ndcg,
                                             fused)
    result["seconds"] = round(time.time() - t0, 1)
    out_dir = args.out or (os.path.dirname(HERE) if not args.limit else "/tmp")
    with open(os.path.join(out_dir, "eval.json"), "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    pairs, drift = reference_pairs(tok, model, texts, sets, lengths[0])
    reference = {"model": "ranklens-mini", "note": "float16 weights from model.safetensors computed in float32, "
                 "eval mode; score = logits[0]; [CLS] query [SEP] passage [SEP], query <= 32 wordpieces",
                 "batched_vs_single_max_abs_diff": drift, "pairs": pairs}
    # An explicit --out (or a --limit smoke run) keeps the shipped reference scores untouched.
    with open(os.path.join(out_dir if (args.out or args.limit) else HERE, "reference_scores.json"), "w") as f:
        json.dump(reference, f, indent=1)
        f.write("\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

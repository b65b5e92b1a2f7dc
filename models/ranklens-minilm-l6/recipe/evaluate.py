"""BM25, the bi-encoder teacher and the bundled cross-encoder on the sample workspace's real lists: DL19 with the
Anserini BM25 top 100 (graded qrels; nDCG@10 and MRR@10 at grade >= 2) and the 200 held-out dev600 queries with
their BM25 top 20 (MRR@10 at grade >= 1). Scores come from Hugging Face transformers in float32, independent of
RankLens's own runtime; `ranklens analyze rerank` is checked against the same numbers in the tests.

  .venv/bin/python models/ranklens-minilm-l6/recipe/evaluate.py [--model-dir DIR] [--out eval.json]
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import WORKSPACE, read_qrels, read_run, read_tsv  # noqa: E402
from encoder import Teacher  # noqa: E402
from metrics import ndcg_at_10, rank_by, rr_at_10  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SETS = {
    "dl19": ("queries.dl19.tsv", "run.dl19.bm25.tsv", "qrels.dl19.txt", 2),
    "dev600-heldout": ("queries.dev600-heldout.tsv", "run.dev600-heldout.bm25.tsv", "qrels.dev600-heldout.txt", 1),
}


@torch.inference_mode()
def cross_encoder_scores(model_dir, pairs, batch_size=32):
    from transformers import AutoTokenizer, BertForSequenceClassification

    tok = AutoTokenizer.from_pretrained(model_dir)
    model = BertForSequenceClassification.from_pretrained(model_dir, dtype=torch.float32).eval()
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
    scores = [0.0] * len(pairs)
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        enc = tok([pairs[i][0] for i in chunk], [pairs[i][1] for i in chunk], padding=True,
                  truncation="only_second", max_length=256, return_tensors="pt")
        for i, v in zip(chunk, model(**enc).logits[:, 0].tolist()):
            scores[i] = v
    return scores


def teacher_scores(pairs):
    teacher = Teacher(os.cpu_count(), bf16=False)
    queries = sorted({q for q, _ in pairs})
    passages = sorted({p for _, p in pairs})
    qv = dict(zip(queries, teacher.embed(queries)))
    pv = dict(zip(passages, teacher.embed(passages)))
    return [float(qv[q] @ pv[p]) for q, p in pairs]


def summarise(keys, scores, qrels, threshold):
    by_query = {}
    for (qid, pid), s in zip(keys, scores):
        by_query.setdefault(qid, {})[pid] = s
    rankings = {q: rank_by(s) for q, s in by_query.items()}
    n = len(rankings)
    return {
        "queries": n,
        "mrr@10": round(sum(rr_at_10(r, qrels.get(q, {}), threshold) for q, r in rankings.items()) / n, 4),
        "ndcg@10": round(sum(ndcg_at_10(r, qrels.get(q, {})) for q, r in rankings.items()) / n, 4),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", default=os.path.dirname(HERE))
    ap.add_argument("--workspace", default=WORKSPACE)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(HERE), "eval.json"))
    ap.add_argument("--no-teacher", action="store_true")
    args = ap.parse_args()
    texts = read_tsv(os.path.join(args.workspace, "collection.tsv"))
    result = {"model": os.path.basename(os.path.abspath(args.model_dir)), "scorer": "transformers float32",
              "sets": {}}
    for name, (queries_file, run_file, qrels_file, threshold) in SETS.items():
        queries = read_tsv(os.path.join(args.workspace, queries_file))
        run = read_run(os.path.join(args.workspace, run_file))
        qrels = read_qrels(os.path.join(args.workspace, qrels_file))
        keys = [(q, p) for q in run for p in run[q]]
        pairs = [(queries[q], texts[p]) for q, p in keys]
        bm25 = [-float(run[q].index(p)) for q, p in keys]
        started = time.time()
        rows = {"bm25": summarise(keys, bm25, qrels, threshold)}
        rows["model"] = summarise(keys, cross_encoder_scores(args.model_dir, pairs), qrels, threshold)
        rows["model"]["seconds"] = round(time.time() - started, 1)
        if not args.no_teacher:
            rows["bi-encoder teacher"] = summarise(keys, teacher_scores(pairs), qrels, threshold)
        result["sets"][name] = {"pairs": len(pairs), "relevance_threshold_for_mrr": threshold, **rows}
        print(name, json.dumps(rows), flush=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()

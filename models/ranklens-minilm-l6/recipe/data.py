"""Readers for the MS MARCO files of ../shared/data and the sample workspace, and the dev600 split.

The split is the sample workspace's (scripts/build-sample-dataset.ts): qids sorted numerically, Fisher-Yates
shuffled with mulberry32(20200725) as src/core/random.ts, the first 200 held out, the other 400 for training."""
import os
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
SHARED = os.environ.get("RANKLENS_SHARED_DATA", os.path.join(REPO, "..", "shared", "data"))
MSMARCO = os.path.join(SHARED, "msmarco")
WORKSPACE = os.path.join(REPO, "sample-workspace")
SPLIT_SEED = 20200725
HELDOUT = 200


def read_tsv(path):
    """`id<TAB>text` lines (collections, queries) as a dict; the text keeps its inner tabs."""
    table = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            key, sep, text = line.partition("\t")
            if not sep:
                raise ValueError(f"{path}:{number}: expected id<TAB>text")
            table[key] = text
    return table


def read_qrels(path):
    """TREC qrels `qid 0 pid grade` as {qid: {pid: grade}}."""
    qrels = defaultdict(dict)
    with open(path) as f:
        for number, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 4:
                raise ValueError(f"{path}:{number}: expected 'qid 0 pid grade'")
            qrels[parts[0]][parts[2]] = int(parts[3])
    return qrels


def read_run(path):
    """A run as {qid: [pid, ...]} in rank order: MS MARCO `qid pid rank` or TREC `qid Q0 pid rank score tag`."""
    ranked = defaultdict(list)
    with open(path) as f:
        for number, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) == 3:
                ranked[parts[0]].append((int(parts[2]), parts[1]))
            elif len(parts) == 6:
                ranked[parts[0]].append((int(parts[3]), parts[2]))
            else:
                raise ValueError(f"{path}:{number}: expected 'qid pid rank' or 'qid Q0 pid rank score tag'")
    return {q: [p for _, p in sorted(v)] for q, v in ranked.items()}


def read_trec_scores(path):
    scores = {}
    with open(path) as f:
        for line in f:
            qid, _, pid, _, score, _ = line.split()
            scores[(qid, pid)] = float(score)
    return scores


def mulberry32(seed):
    state = [seed & 0xFFFFFFFF]

    def imul(a, b):
        return (a * b) & 0xFFFFFFFF

    def next_float():
        state[0] = (state[0] + 0x6D2B79F5) & 0xFFFFFFFF
        t = state[0]
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296

    return next_float


def dev600_split(queries_path):
    """(held-out qids, train qids) of the sample workspace's dev600 split, in the shuffled order."""
    with open(queries_path, encoding="utf-8") as f:
        qids = sorted(int(line.split("\t", 1)[0]) for line in f if line.strip())
    rng = mulberry32(SPLIT_SEED)
    for i in range(len(qids) - 1, 0, -1):
        j = int(rng() * (i + 1))
        qids[i], qids[j] = qids[j], qids[i]
    qids = [str(q) for q in qids]
    return qids[:HELDOUT], qids[HELDOUT:]

"""Small readers for the MS MARCO files (collection/queries TSV, TREC qrels, MS MARCO runs) and the word
splitter the pseudo-query generator and the negative-mining BM25 of prepare.py use."""
import re
from collections import defaultdict

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

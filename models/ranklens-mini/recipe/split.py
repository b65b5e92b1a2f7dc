"""The dev600 train/held-out split, identical to scripts/build-sample-dataset.ts: qids sorted numerically,
Fisher-Yates shuffled with mulberry32(20200725) (src/core/random.ts), the first 200 held out, 400 for training."""

SEED = 20200725
HELDOUT = 200


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


def dev600_split(queries_path, seed=SEED, heldout=HELDOUT):
    with open(queries_path, encoding="utf-8") as f:
        qids = sorted(int(line.split("\t", 1)[0]) for line in f if line.strip())
    rng = mulberry32(seed)
    for i in range(len(qids) - 1, 0, -1):
        j = int(rng() * (i + 1))
        qids[i], qids[j] = qids[j], qids[i]
    qids = [str(q) for q in qids]
    return qids[:heldout], qids[heldout:]

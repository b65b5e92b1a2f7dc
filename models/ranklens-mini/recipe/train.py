"""ranklens-mini v2: masked-LM pretraining from GloVe-initialised WordPiece embeddings, then listwise ranking
fine-tuning, from the pack that prepare.py writes. Same code on CPU (Debian's PyTorch) and on a CUDA GPU.

  python3 train.py --pack DIR/pack.npz --work DIR --out MODEL_DIR --pretrain-minutes 300 --finetune-minutes 120

Both stages follow a time budget: progress = max(step / max-steps, elapsed / budget) drives warm-up and linear
decay, so a slow machine still completes its schedule. State (model, optimiser, step, elapsed time, RNG) is saved
to --work every --save-every seconds and at the end of a stage; rerunning the same command resumes where it stopped.
The fine-tuned checkpoint with the best validation MRR@10 (60 dev600-train queries, never a held-out or DL19
label) is written to --out in Hugging Face layout (float16 safetensors).
"""
import argparse
import json
import math
import os
import queue
import random
import sys
import threading
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import CONFIG, save_checkpoint  # noqa: E402
from modeling import BertForSequenceClassification, BertMlmHead  # noqa: E402

PAD, UNK, CLS, SEP, MASK, PERIOD = 0, 100, 101, 102, 103, 1012
FIRST_WORDPIECE = 999  # ids below are [PAD], [unused*], [UNK], [CLS], [SEP], [MASK]


class Pack:
    def __init__(self, path):
        z = np.load(path)
        self.z = {k: z[k] for k in z.files}

    def seqs(self, name, offsets=None):
        data, off = self.z[name], self.z[offsets or name + "_off"]
        return [data[off[i] : off[i + 1]] for i in range(len(off) - 1)]


def encode_pair(q, p, max_length, max_query=32):
    q = list(q[:max_query])
    p = list(p[: max(max_length - len(q) - 3, 0)])
    ids = [CLS] + q + [SEP] + p + [SEP]
    return ids, [0] * (len(q) + 2) + [1] * (len(p) + 1)


def pad(pairs, width=None):
    """(input ids, token types) pairs -> int64 arrays ids, types, attention mask of [len(pairs), width]
    (width: the longest pair unless given)."""
    width = width or max(len(ids) for ids, _ in pairs)
    ids, types, mask = (np.zeros((len(pairs), width), dtype=np.int64) for _ in range(3))
    for i, (a, t) in enumerate(pairs):
        ids[i, : len(a)] = a
        types[i, : len(t)] = t
        mask[i, : len(a)] = 1
    return ids, types, mask


def collate(pairs, device):
    return [torch.from_numpy(x).to(device, non_blocking=True) for x in pad(pairs)]


def prefetch(make, depth=3):
    """Builds batches on a background thread so the accelerator is not kept waiting by Python list work."""
    q = queue.Queue(maxsize=depth)

    def run():
        while True:
            q.put(make())

    threading.Thread(target=run, daemon=True).start()
    while True:
        yield q.get()


def schedule(progress, peak, warmup):
    return peak * (progress / warmup if progress < warmup else max(0.0, (1 - progress) / (1 - warmup)))


def optimizer(params_named, lr):
    decay = [p for n, p in params_named if not (n.endswith("bias") or "LayerNorm" in n)]
    rest = [p for n, p in params_named if n.endswith("bias") or "LayerNorm" in n]
    return torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": rest, "weight_decay": 0.0}],
                             lr=lr, betas=(0.9, 0.98), eps=1e-6)


def glove_init(model, pack, seed):
    """Word embeddings = GloVe (100-d) x a fixed random projection with orthonormal rows to the hidden size, scaled
    to BERT's initialiser std; pieces without any vector keep their random init."""
    hidden = model.config["hidden_size"]
    g = torch.Generator().manual_seed(seed)
    proj, _ = torch.linalg.qr(torch.randn(hidden, 100, generator=g))  # [hidden, 100], orthonormal columns
    glove = torch.from_numpy(pack.z["glove"]).float()
    hit = torch.from_numpy(pack.z["glove_hit"])
    vecs = glove[hit] - glove[hit].mean(0, keepdim=True)
    vecs = vecs @ proj.t()
    vecs = vecs / vecs.std() * model.config["initializer_range"] * 2.0
    with torch.no_grad():
        model.bert.embeddings.word_embeddings.weight[hit] = vecs
    return int(hit.sum())


def attention_stats(model, pairs, device, batch=32):
    """Per layer (mean over heads and over every non-pad attending token): attention mass sent to [CLS], to [SEP],
    to periods of the passage, and the share a uniform attention would give the same tokens."""
    model.eval()
    L = model.config["num_hidden_layers"]
    sums = {k: np.zeros(L) for k in ("cls", "sep", "period")}
    uniform = {k: 0.0 for k in ("cls", "sep", "period")}
    rows = 0
    with torch.no_grad():
        for i in range(0, len(pairs), batch):
            ids, types, mask = collate(pairs[i : i + batch], device)
            _, atts = model(ids, types, mask, output_attentions=True)
            m = mask.float()
            kinds = {"cls": (ids == CLS).float(), "sep": (ids == SEP).float(),
                     "period": ((ids == PERIOD) & (types == 1)).float()}
            n = m.sum(1, keepdim=True)
            for k, onehot in kinds.items():
                uniform[k] += float(((onehot.sum(1, keepdim=True) / n) * m).sum())
                for layer, a in enumerate(atts):
                    to_k = (a.float() * onehot[:, None, None, :]).sum(-1).mean(1)  # [b, n]
                    sums[k][layer] += float((to_k * m).sum())
            rows += float(m.sum())
    model.train()
    return {"layers": {k: (v / rows).round(4).tolist() for k, v in sums.items()},
            "uniform": {k: round(v / rows, 4) for k, v in uniform.items()}}


def validation_pairs(pack, passages):
    vq = pack.seqs("v_q")
    cands, labels = pack.z["v_cand"], pack.z["v_label"]
    return vq, cands, labels


def mrr_at_10(scores, labels):
    total = 0.0
    for s, lab in zip(scores, labels):
        order = np.argsort(-np.asarray(s), kind="stable")[:10]
        for r, i in enumerate(order):
            if lab[i] > 0:
                total += 1.0 / (r + 1)
                break
    return total / len(scores)


def score_pairs(model, pairs, device, batch=256):
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(pairs), batch):
            ids, types, mask = collate(pairs[i : i + batch], device)
            with autocast(device):
                logits, _ = model(ids, types, mask)
            out.extend(logits[:, 0].float().cpu().tolist())
    model.train()
    return out


def autocast(device):
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return torch.autocast("cpu", enabled=False)


class Stage:
    """Time-budgeted, resumable training loop state."""

    def __init__(self, work, name, save_every):
        self.path = os.path.join(work, f"{name}.state.pt")
        self.name = name
        self.save_every = save_every
        self.step = 0
        self.elapsed = 0.0
        self.extra = {}

    def load(self, modules, opt):
        if not os.path.exists(self.path):
            return False
        try:  # the state holds RNG states next to tensors: not a weights-only file
            s = torch.load(self.path, map_location="cpu", weights_only=False)
        except TypeError:
            s = torch.load(self.path, map_location="cpu")
        for k, m in modules.items():
            m.load_state_dict(s["modules"][k])
        opt.load_state_dict(s["opt"])
        self.step, self.elapsed, self.extra = s["step"], s["elapsed"], s.get("extra", {})
        random.setstate(s["py_rng"])
        np.random.set_state(s["np_rng"])
        torch.set_rng_state(s["torch_rng"])
        print(f"{self.name}: resumed at step {self.step}, {self.elapsed / 60:.1f} min", flush=True)
        return True

    def save(self, modules, opt):
        tmp = self.path + ".tmp"
        torch.save({"modules": {k: m.state_dict() for k, m in modules.items()}, "opt": opt.state_dict(),
                    "step": self.step, "elapsed": self.elapsed, "extra": self.extra, "py_rng": random.getstate(),
                    "np_rng": np.random.get_state(), "torch_rng": torch.get_rng_state()}, tmp)
        os.replace(tmp, self.path)


def pretrain(args, model, pack, passages, queries, device, log):
    head = BertMlmHead(model.config, model.bert.embeddings.word_embeddings).to(device)
    named = list(model.named_parameters()) + [(f"head.{n}", p) for n, p in head.named_parameters()
                                              if not n.startswith("word_embeddings")]
    opt = optimizer(named, args.mlm_lr)
    st = Stage(args.work, "pretrain", args.save_every)
    st.load({"model": model, "head": head}, opt)
    if st.extra.get("done"):
        return st.extra
    budget = args.pretrain_minutes * 60
    rng = np.random.default_rng(args.seed + st.step)
    vocab = model.config["vocab_size"]
    L = args.mlm_length

    def make_batch():
        seqs = []
        for _ in range(args.mlm_batch):
            p = passages[rng.integers(len(passages))]
            if rng.random() < 0.5:  # two segments like a ranking input: a real query, then a passage
                q = queries[rng.integers(len(queries))]
                ids, types = encode_pair(q, p, L)
            else:
                ids, types = [CLS] + list(p[: L - 2]) + [SEP], [0] * (min(len(p), L - 2) + 2)
            seqs.append((ids, types))
        ids, types, mask = pad(seqs, L)  # full width: the masking draws below take the array's shape
        candidates = (ids >= FIRST_WORDPIECE) & (mask > 0)
        chosen = candidates & (rng.random(ids.shape) < 0.15)
        labels = np.where(chosen, ids, -100)
        r = rng.random(ids.shape)
        inputs = ids.copy()
        inputs[chosen & (r < 0.8)] = MASK
        rand = chosen & (r >= 0.8) & (r < 0.9)
        inputs[rand] = rng.integers(FIRST_WORDPIECE, vocab, size=int(rand.sum()))
        width = int(mask.sum(1).max())
        return [torch.from_numpy(x[:, :width]) for x in (inputs, types, mask, labels)]

    held = [make_batch() for _ in range(4)]  # fixed evaluation batches (the generator's first draws)
    batches = prefetch(make_batch)
    model.train()
    head.train()
    t_start = time.time() - st.elapsed
    last_save = time.time()
    ema = None
    while True:
        st.elapsed = time.time() - t_start
        progress = max(st.step / args.mlm_max_steps, st.elapsed / budget)
        if progress >= 1.0:
            break
        lr = schedule(progress, args.mlm_lr, args.warmup)
        for g in opt.param_groups:
            g["lr"] = lr
        inputs, types, mask, labels = (x.to(device, non_blocking=True) for x in next(batches))
        with autocast(device):
            hidden, _, _ = model.bert(inputs, types, mask)
            sel = labels >= 0
            logits = head(hidden[sel])
        loss = torch.nn.functional.cross_entropy(logits.float(), labels[sel])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        st.step += 1
        if st.step % 50 == 0:
            lv = loss.item()
            ema = lv if ema is None else 0.9 * ema + 0.1 * lv
            if st.step % 200 == 0:
                line = {"stage": "mlm", "step": st.step, "min": round(st.elapsed / 60, 2), "lr": round(lr, 7),
                        "loss": round(lv, 4), "loss_ema": round(ema, 4),
                        "tokens": st.step * args.mlm_batch * L}
                log.append(line)
                print(json.dumps(line), flush=True)
        if time.time() - last_save > args.save_every:
            st.save({"model": model, "head": head}, opt)
            last_save = time.time()
    model.eval()
    head.eval()
    losses = []
    with torch.no_grad():
        for inputs, types, mask, labels in held:
            inputs, types, mask, labels = (x.to(device) for x in (inputs, types, mask, labels))
            with autocast(device):
                hidden, _, _ = model.bert(inputs, types, mask)
                sel = labels >= 0
                logits = head(hidden[sel])
            losses.append(torch.nn.functional.cross_entropy(logits.float(), labels[sel]).item())
    model.train()
    st.extra = {"done": True, "steps": st.step, "minutes": round(st.elapsed / 60, 2),
                "mlm_loss_fixed_batches": round(float(np.mean(losses)), 4),
                "tokens_seen": st.step * args.mlm_batch * L}
    st.save({"model": model, "head": head}, opt)
    print(json.dumps({"pretrain": st.extra}), flush=True)
    return st.extra


def finetune(args, model, pack, passages, device, log):
    opt = optimizer(list(model.named_parameters()), args.rank_lr)
    st = Stage(args.work, "finetune", args.save_every)
    st.load({"model": model}, opt)
    if st.extra.get("done"):
        return st.extra
    kinds = pack.z["g_kind"]
    gq = pack.seqs("g_q")
    gpos = pack.seqs("g_pos")
    gneg = pack.seqs("g_neg")
    real = np.flatnonzero(kinds < 3)
    dev = np.flatnonzero(kinds == 0)
    pseudo = np.flatnonzero(kinds == 3)
    vq, vc, vl = validation_pairs(pack, passages)
    val_pairs = [encode_pair(vq[i], passages[c], args.max_length) for i in range(len(vq)) for c in vc[i]]
    rng = np.random.default_rng(args.seed + 7 + st.step)
    G, S = args.rank_groups, args.group_size
    budget = args.finetune_minutes * 60

    def make_batch():
        pairs = []
        for _ in range(G):
            r = rng.random()
            g = rng.choice(dev) if r < args.dev_fraction else rng.choice(real) if r < args.real_fraction else rng.choice(pseudo)
            pos = gpos[g][rng.integers(len(gpos[g]))]
            negs = list(gneg[g])
            rng.shuffle(negs)
            negs = negs[: S - 1]
            while len(negs) < S - 1:
                d = int(rng.integers(len(passages)))
                if d not in gpos[g]:
                    negs.append(d)
            for d in [pos] + negs:
                pairs.append(encode_pair(gq[g], passages[d], args.max_length))
        return [torch.from_numpy(x) for x in pad(pairs)]

    batches = prefetch(make_batch)
    best = st.extra.get("best", {"mrr": -1.0, "step": 0})
    history = st.extra.get("history", [])
    model.train()
    t_start = time.time() - st.elapsed
    last_save = time.time()
    last_val = st.elapsed
    ema = None

    def validate():
        scores = np.array(score_pairs(model, val_pairs, device)).reshape(len(vq), -1)
        mrr = mrr_at_10(scores, vl)
        history.append({"step": st.step, "min": round(st.elapsed / 60, 2), "val_mrr10": round(mrr, 4)})
        print(json.dumps({"stage": "rank-val", **history[-1]}), flush=True)
        if mrr > best["mrr"]:
            best.update({"mrr": mrr, "step": st.step})
            save_checkpoint(model, os.path.join(args.work, "best"), model.config_out)

    validate()
    while True:
        st.elapsed = time.time() - t_start
        progress = max(st.step / args.rank_max_steps, st.elapsed / budget)
        if progress >= 1.0:
            break
        lr = schedule(progress, args.rank_lr, args.warmup)
        for g in opt.param_groups:
            g["lr"] = lr
        ids, types, mask = (x.to(device, non_blocking=True) for x in next(batches))
        with autocast(device):
            logits, _ = model(ids, types, mask)
        logits = logits.float().view(G, S)
        loss = torch.nn.functional.cross_entropy(logits, torch.zeros(G, dtype=torch.long, device=device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        st.step += 1
        if st.step % 20 == 0:
            lv = loss.item()
            ema = lv if ema is None else 0.9 * ema + 0.1 * lv
            if st.step % 100 == 0:
                line = {"stage": "rank", "step": st.step, "min": round(st.elapsed / 60, 2), "lr": round(lr, 7),
                        "loss": round(lv, 4), "loss_ema": round(ema, 4)}
                log.append(line)
                print(json.dumps(line), flush=True)
        if st.elapsed - last_val > args.validate_every:
            validate()
            last_val = st.elapsed
        if time.time() - last_save > args.save_every:
            st.extra = {"best": best, "history": history}
            st.save({"model": model}, opt)
            last_save = time.time()
    validate()
    st.extra = {"done": True, "best": best, "history": history, "steps": st.step,
                "minutes": round(st.elapsed / 60, 2), "pairs_seen": st.step * G * S}
    st.save({"model": model}, opt)
    return st.extra


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pack", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--layers", type=int, default=CONFIG["num_hidden_layers"])
    ap.add_argument("--heads", type=int, default=CONFIG["num_attention_heads"])
    ap.add_argument("--pretrain-minutes", type=float, default=300)
    ap.add_argument("--finetune-minutes", type=float, default=120)
    ap.add_argument("--mlm-batch", type=int, default=64)
    ap.add_argument("--mlm-length", type=int, default=128)
    ap.add_argument("--mlm-lr", type=float, default=1e-3)
    ap.add_argument("--mlm-max-steps", type=int, default=10**9)
    ap.add_argument("--rank-groups", type=int, default=8)
    ap.add_argument("--group-size", type=int, default=8)
    ap.add_argument("--max-length", type=int, default=192)
    ap.add_argument("--rank-lr", type=float, default=1e-4)
    ap.add_argument("--rank-max-steps", type=int, default=10**9)
    ap.add_argument("--dev-fraction", type=float, default=0.3, help="share of groups from dev600-train queries")
    ap.add_argument("--real-fraction", type=float, default=0.55, help="share of groups from any real query")
    ap.add_argument("--warmup", type=float, default=0.06)
    ap.add_argument("--validate-every", type=float, default=300, help="seconds")
    ap.add_argument("--save-every", type=float, default=600, help="seconds")
    ap.add_argument("--init", default=None, help="start from this checkpoint folder and skip pretraining")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=20200725)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          "cpu" if args.device == "auto" else args.device)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    os.makedirs(args.work, exist_ok=True)
    t0 = time.time()
    pack = Pack(args.pack)
    passages = pack.seqs("p_tok", "p_off")
    queries = pack.seqs("q_tok", "q_off")
    config = dict(CONFIG, num_hidden_layers=args.layers, num_attention_heads=args.heads)
    c = dict(config, num_labels=1)
    model = BertForSequenceClassification(c)
    model.config_out = config
    hits = 0 if args.init else glove_init(model, pack, args.seed)
    model.to(device)
    vq, vc, vl = validation_pairs(pack, passages)
    rel_pairs = [encode_pair(vq[i], passages[c], args.max_length) for i in range(len(vq))
                 for c, lab in zip(vc[i], vl[i]) if lab > 0]
    summary = {"device": str(device), "gpu": torch.cuda.get_device_name(0) if device.type == "cuda" else None,
               "torch": torch.__version__, "threads": torch.get_num_threads(), "args": vars(args),
               "glove_initialised_pieces": hits, "attention": {}}
    log = []
    if args.init:
        state = __import__("safetensors_io").load_file(os.path.join(args.init, "model.safetensors"))
        model.load_state_dict({k: v.float() for k, v in state.items()})
        model.to(device)
        summary["pretrain"] = {"init": args.init}
    else:
        summary["attention"]["glove_init"] = attention_stats(model, rel_pairs, device)
        summary["pretrain"] = pretrain(args, model, pack, passages, queries, device, log)
    summary["attention"]["pretrained"] = attention_stats(model, rel_pairs, device)
    save_checkpoint(model, os.path.join(args.work, "pretrained"), config)  # encoder after MLM, before ranking
    summary["finetune"] = finetune(args, model, pack, passages, device, log)
    best_dir = os.path.join(args.work, "best")
    state = {k: v for k, v in __import__("safetensors_io").load_file(os.path.join(best_dir, "model.safetensors")).items()}
    model.load_state_dict({k: v.float() for k, v in state.items()})
    model.to(device)
    summary["attention"]["fine_tuned"] = attention_stats(model, rel_pairs, device)
    save_checkpoint(model, args.out, config)
    summary["minutes_total"] = round((time.time() - t0) / 60, 2)
    with open(os.path.join(args.work, "train_summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    with open(os.path.join(args.work, "train_log.jsonl"), "w") as f:
        for line in log:
            f.write(json.dumps(line) + "\n")
    print(json.dumps({k: summary[k] for k in ("pretrain", "finetune", "attention", "minutes_total")}), flush=True)


if __name__ == "__main__":
    main()

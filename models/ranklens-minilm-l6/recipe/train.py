"""Stage 1: fine-tunes the pretrained encoder as a one-label cross-encoder by listwise distillation.

  .venv/bin/python models/ranklens-minilm-l6/recipe/train.py --pack WORK/pack.json --work WORK --minutes 80

Input: [CLS] query [SEP] passage [SEP], token types 0 up to the first [SEP] and 1 after, at most 256 WordPieces
(the passage is cut). Each step takes --groups queries with --group-size candidates each: for a query with real
labels, one labelled relevant passage and the teacher's hardest others; otherwise the teacher's first candidate,
three of its next nine and the rest from its top 40. The loss is the KL divergence from the teacher's softmax over
the group (cosine / --temperature) to the student's softmax over its logits; where a relevant passage is known
the target is half the teacher's distribution and half all mass on that passage.

The learning rate warms up over --warmup steps and decays linearly to a tenth by the end of the time budget.
Every --validate-every seconds the model re-ranks the validation queries' BM25 top 20 (MRR@10); the best
checkpoint is kept in WORK/best. WORK/state.pt (model, optimiser, sampler and step) is written every
--save-every seconds, so an interrupted run resumes where it stopped with the same --work.
"""
import argparse
import json
import math
import os
import random
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from encoder import encoder_dir, tokenizer  # noqa: E402
from metrics import rank_by, rr_at_10  # noqa: E402

MAX_LENGTH = 256


class PairEncoder:
    """WordPiece ids of queries and passages, tokenised once, joined into padded batches."""

    def __init__(self, tok, passages):
        self.tok = tok
        self.cls, self.sep, self.pad = tok.cls_token_id, tok.sep_token_id, tok.pad_token_id
        self.passage_ids = {}
        self.query_ids = {}
        pids = list(passages)
        for start in range(0, len(pids), 4096):
            chunk = pids[start : start + 4096]
            encoded = tok([passages[p] for p in chunk], add_special_tokens=False, truncation=True,
                          max_length=MAX_LENGTH)["input_ids"]
            self.passage_ids.update(zip(chunk, encoded))

    def query(self, text):
        ids = self.query_ids.get(text)
        if ids is None:
            ids = self.tok(text, add_special_tokens=False, truncation=True, max_length=64)["input_ids"]
            self.query_ids[text] = ids
        return ids

    def batch(self, pairs):
        rows = []
        for query, pid in pairs:
            q = self.query(query)
            p = self.passage_ids[pid][: MAX_LENGTH - len(q) - 3]
            rows.append(([self.cls] + q + [self.sep] + p + [self.sep], len(q) + 2))
        width = max(len(ids) for ids, _ in rows)
        input_ids = torch.full((len(rows), width), self.pad, dtype=torch.long)
        token_types = torch.zeros((len(rows), width), dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, (ids, first) in enumerate(rows):
            input_ids[i, : len(ids)] = torch.tensor(ids)
            token_types[i, first : len(ids)] = 1
            mask[i, : len(ids)] = 1
        return {"input_ids": input_ids, "token_type_ids": token_types, "attention_mask": mask}


def sample_group(group, size, rng):
    """Candidate indices for one training group; the first is the known relevant passage where there is one."""
    order = sorted(range(len(group["candidates"])), key=lambda i: -group["teacher"][i])
    relevant = [i for i, p in enumerate(group["candidates"]) if group["labels"].get(p, 0) > 0]
    if relevant:
        first = rng.choice(relevant)
        others = [i for i in order if i != first and i not in relevant]
        hard = others[: size * 2]
        picked = [first] + rng.sample(hard, min(size - 1, len(hard)))
        return picked, 0
    head, middle, tail = order[:1], order[1:10], order[10:]
    picked = head + rng.sample(middle, min(3, len(middle)))
    picked += rng.sample(tail, min(size - len(picked), len(tail)))
    return picked, None


def group_loss(logits, teacher, relevant, temperature):
    target = torch.softmax(torch.tensor(teacher) / temperature, dim=0)
    if relevant is not None:
        onehot = torch.zeros_like(target)
        onehot[relevant] = 1.0
        target = 0.5 * target + 0.5 * onehot
    log_student = torch.log_softmax(logits.float(), dim=0)
    return torch.sum(target * (torch.log(target.clamp(min=1e-12)) - log_student))


@torch.inference_mode()
def validate(model, encoder, validation, texts, bf16, batch_size=64):
    model.eval()
    reciprocal = []
    for item in validation:
        encoder.passage_ids.update({p: encoder.tok(texts[p], add_special_tokens=False, truncation=True,
                                                     max_length=MAX_LENGTH)["input_ids"]
                                    for p in item["candidates"] if p not in encoder.passage_ids})
        scores = {}
        for start in range(0, len(item["candidates"]), batch_size):
            chunk = item["candidates"][start : start + batch_size]
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                logits = model(**encoder.batch([(item["query"], p) for p in chunk])).logits[:, 0].float()
            scores.update(zip(chunk, logits.tolist()))
        reciprocal.append(rr_at_10(rank_by(scores), item["labels"], 1))
    model.train()
    return sum(reciprocal) / len(reciprocal)


def forward_by_length(model, encoder, pairs, micro_batch, device, bf16):
    """Logits of all pairs in their order, computed in micro-batches of similar length: a batch padded to its
    longest pair spends most of its time on padding when passages range from 20 to 250 WordPieces."""
    lengths = [len(encoder.query(q)) + len(encoder.passage_ids[p]) for q, p in pairs]
    order = sorted(range(len(pairs)), key=lambda i: lengths[i])
    parts, positions = [], []
    for start in range(0, len(order), micro_batch):
        chunk = order[start : start + micro_batch]
        batch = {k: v.to(device) for k, v in encoder.batch([pairs[i] for i in chunk]).items()}
        with torch.autocast(device.split(":")[0], dtype=torch.bfloat16, enabled=bf16):
            parts.append(model(**batch).logits[:, 0].float())
        positions += chunk
    logits = torch.empty(len(pairs), device=parts[0].device)
    return logits.index_copy(0, torch.tensor(positions, device=logits.device), torch.cat(parts))


def save_atomic(obj, path):
    torch.save(obj, path + ".partial")
    os.replace(path + ".partial", path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pack", required=True)
    ap.add_argument("--work", required=True, help="state.pt, best/, log.jsonl (resumes from state.pt)")
    ap.add_argument("--minutes", type=float, default=80.0, help="training time budget, validation excluded")
    ap.add_argument("--groups", type=int, default=4)
    ap.add_argument("--group-size", type=int, default=8)
    ap.add_argument("--micro-batch", type=int, default=8, help="pairs per forward pass, grouped by length")
    ap.add_argument("--lr", type=float, default=4e-5)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--temperature", type=float, default=0.05)
    ap.add_argument("--validate-every", type=float, default=600.0)
    ap.add_argument("--save-every", type=float, default=300.0)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--fp32", action="store_true", help="no bf16 autocast")
    ap.add_argument("--seed", type=int, default=20200725)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    bf16 = not args.fp32
    os.makedirs(args.work, exist_ok=True)

    from transformers import BertForSequenceClassification

    with open(args.pack, encoding="utf-8") as f:
        pack = json.load(f)
    tok = tokenizer()
    encoder = PairEncoder(tok, pack["passages"])
    model = BertForSequenceClassification.from_pretrained(encoder_dir(), num_labels=1)
    torch.nn.init.normal_(model.classifier.weight, std=0.02)
    torch.nn.init.zeros_(model.classifier.bias)
    model.to(args.device).train()
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    rng = random.Random(args.seed)
    state_path = os.path.join(args.work, "state.pt")
    step, elapsed, best, epoch_order = 0, 0.0, -1.0, []
    if os.path.exists(state_path):
        state = torch.load(state_path, weights_only=False)
        model.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimiser"])
        rng.setstate(state["rng"])
        step, elapsed, best, epoch_order = state["step"], state["elapsed"], state["best"], state["order"]
        print(f"train: resumed at step {step}, {elapsed / 60:.1f} min done, best {best:.4f}", flush=True)
    log = open(os.path.join(args.work, "log.jsonl"), "a", encoding="utf-8")
    budget = args.minutes * 60
    if best < 0:
        best = validate(model, encoder, pack["validation"], pack["validation_text"], bf16)
        log.write(json.dumps({"step": 0, "validation_mrr10": best}) + "\n")
        print(f"train: validation MRR@10 before training {best:.4f}", flush=True)
    last_save = last_validate = time.time()
    losses = []
    while elapsed < budget:
        tick = time.time()
        fraction = elapsed / budget
        lr = args.lr * min(1.0, (step + 1) / args.warmup) * (1.0 - 0.9 * fraction)
        for g in optimiser.param_groups:
            g["lr"] = lr
        pairs, spans = [], []
        for _ in range(args.groups):
            if not epoch_order:
                epoch_order = list(range(len(pack["groups"])))
                rng.shuffle(epoch_order)
            group = pack["groups"][epoch_order.pop()]
            picked, relevant = sample_group(group, args.group_size, rng)
            spans.append((len(pairs), len(picked), [group["teacher"][i] for i in picked], relevant))
            pairs += [(group["query"], group["candidates"][i]) for i in picked]
        logits = forward_by_length(model, encoder, pairs, args.micro_batch, args.device, bf16)
        loss = sum(group_loss(logits[s : s + n], t, r, args.temperature) for s, n, t, r in spans) / len(spans)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        optimiser.zero_grad(set_to_none=True)
        step += 1
        losses.append(loss.item())
        elapsed += time.time() - tick
        if time.time() - last_validate > args.validate_every or elapsed >= budget:
            mrr = validate(model, encoder, pack["validation"], pack["validation_text"], bf16)
            record = {"step": step, "minutes": round(elapsed / 60, 2), "lr": lr,
                      "loss": sum(losses) / len(losses), "validation_mrr10": mrr}
            log.write(json.dumps(record) + "\n")
            log.flush()
            print(f"train: {record}", flush=True)
            losses = []
            if mrr > best:
                best = mrr
                model.save_pretrained(os.path.join(args.work, "best"))
                with open(os.path.join(args.work, "best", "selection.json"), "w") as f:
                    json.dump(record, f)
            last_validate = time.time()
        if time.time() - last_save > args.save_every or elapsed >= budget:
            save_atomic({"model": model.state_dict(), "optimiser": optimiser.state_dict(), "rng": rng.getstate(),
                         "step": step, "elapsed": elapsed, "best": best, "order": epoch_order,
                         "args": vars(args)}, state_path)
            last_save = time.time()
    print(f"train: done, {step} steps, best validation MRR@10 {best:.4f}", flush=True)


if __name__ == "__main__":
    main()

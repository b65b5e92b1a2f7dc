"""Independent reference: Hugging Face transformers' own BertForSequenceClassification (eager attention), run
in float64 on the checkpoint's stored weights, and HF tokenizers' BertTokenizerFast.

stdin: [{"dir": CHECKPOINT_DIR, "forward": [{"input_ids": [..], "token_type_ids": [..]}, ..], "attentions": K,
         "tokenize": [[query, passage], ..], "max_length": N}, ...]
stdout: [{"logits": [[..]], "attentions": [[layer][head][i][j]] for the first K pairs, "tokens":
          [{"input_ids": [..], "token_type_ids": [..]}]}, ...]   (one Python start-up for many checkpoints)
"""
import json
import os
import sys

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_VERBOSITY"] = "error"

import torch  # noqa: E402
from transformers import BertForSequenceClassification, BertTokenizerFast  # noqa: E402


@torch.inference_mode()
def forward(model, pairs, attention_pairs):
    out = {"logits": [], "attentions": []}
    for k, pair in enumerate(pairs):
        attentions = k < attention_pairs
        ids = torch.tensor([pair["input_ids"]])
        types = torch.tensor([pair["token_type_ids"]])
        result = model(input_ids=ids, token_type_ids=types, attention_mask=torch.ones_like(ids),
                       output_attentions=attentions)
        out["logits"].append(result.logits[0].tolist())
        if attentions:
            out["attentions"].append([layer[0].tolist() for layer in result.attentions])
    return out


def main():
    torch.set_num_threads(1)
    replies = []
    for request in json.load(sys.stdin):
        reply = {}
        if request.get("forward"):
            model = BertForSequenceClassification.from_pretrained(request["dir"], attn_implementation="eager")
            model = model.to(torch.float64).eval()
            reply.update(forward(model, request["forward"], request.get("attentions", 0)))
        if request.get("tokenize"):
            tok = BertTokenizerFast.from_pretrained(request["dir"])
            enc = tok([q for q, _ in request["tokenize"]], [p for _, p in request["tokenize"]],
                      truncation="only_second", max_length=request["max_length"])
            reply["tokens"] = [{"input_ids": i, "token_type_ids": t}
                               for i, t in zip(enc["input_ids"], enc["token_type_ids"])]
        replies.append(reply)
    json.dump(replies, sys.stdout)


if __name__ == "__main__":
    main()

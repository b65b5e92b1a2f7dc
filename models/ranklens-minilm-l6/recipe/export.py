"""Stage 2: the selected checkpoint as RankLens bundles it: float16 safetensors with Hugging Face's parameter
names, config.json for BertForSequenceClassification (one label), and the encoder's own tokenizer files.

  .venv/bin/python models/ranklens-minilm-l6/recipe/export.py --checkpoint WORK/best --out models/ranklens-minilm-l6
"""
import argparse
import json
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from encoder import encoder_dir  # noqa: E402

TOKENIZER_FILES = ("vocab.txt", "tokenizer.json", "special_tokens_map.json")
# BertConfig's own fields: what BertForSequenceClassification needs, without the generation and serving defaults
# that newer transformers releases add to every config.
CONFIG_KEYS = ("attention_probs_dropout_prob", "classifier_dropout", "hidden_act", "hidden_dropout_prob",
               "hidden_size", "initializer_range", "intermediate_size", "layer_norm_eps",
               "max_position_embeddings", "num_attention_heads", "num_hidden_layers", "pad_token_id",
               "position_embedding_type", "type_vocab_size", "vocab_size")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True, help="a save_pretrained folder written by train.py")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    from safetensors.torch import save_file
    from transformers import BertForSequenceClassification

    model = BertForSequenceClassification.from_pretrained(args.checkpoint, num_labels=1).eval()
    tensors = {name: t.detach().to(torch.float16).contiguous() for name, t in model.state_dict().items()
               if not name.endswith("position_ids")}
    os.makedirs(args.out, exist_ok=True)
    weights = os.path.join(args.out, "model.safetensors")
    save_file(tensors, weights, metadata={"format": "pt"})
    os.chmod(weights, 0o644)
    full = model.config.to_dict()
    config = {key: full[key] for key in CONFIG_KEYS}
    config.update({"architectures": ["BertForSequenceClassification"], "model_type": "bert",
                   "torch_dtype": "float16", "id2label": {"0": "LABEL_0"}, "label2id": {"LABEL_0": 0}})
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(dict(sorted(config.items())), f, indent=2)
        f.write("\n")
    for name in TOKENIZER_FILES:
        shutil.copyfile(os.path.join(encoder_dir(), name), os.path.join(args.out, name))
    with open(os.path.join(args.out, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "BertTokenizer", "do_lower_case": True, "tokenize_chinese_chars": True,
                   "strip_accents": None, "model_max_length": 512, "unk_token": "[UNK]", "sep_token": "[SEP]",
                   "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]"}, f, indent=2)
        f.write("\n")
    print(f"export: {len(tensors)} tensors, {os.path.getsize(os.path.join(args.out, 'model.safetensors'))} bytes")


if __name__ == "__main__":
    main()

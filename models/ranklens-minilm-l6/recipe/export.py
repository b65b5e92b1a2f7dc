"""Stage 2: the selected checkpoint as RankLens bundles it: float16 safetensors with Hugging Face's parameter
names, config.json for BertForSequenceClassification (one label), and the encoder's own tokenizer files.

  .venv/bin/python models/ranklens-minilm-l6/recipe/export.py --checkpoint WORK/best --out models/ranklens-minilm-l6 \
      --overwrite

Without --overwrite it refuses to replace any file already in --out, naming them. Each file is written to a
temporary name in --out and renamed, so an interrupted export leaves the previous files whole.
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


def write_text(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True, help="a save_pretrained folder written by train.py")
    ap.add_argument("--out", required=True)
    ap.add_argument("--overwrite", action="store_true", help="replace the files this export writes if --out has them")
    args = ap.parse_args()
    targets = ("model.safetensors", "config.json", "tokenizer_config.json") + TOKENIZER_FILES
    existing = [name for name in targets if os.path.exists(os.path.join(args.out, name))]
    if existing and not args.overwrite:
        sys.exit(f"export: {args.out} already holds {', '.join(existing)}; pass --overwrite to replace them")
    from safetensors.torch import save_file
    from transformers import BertForSequenceClassification

    model = BertForSequenceClassification.from_pretrained(args.checkpoint, num_labels=1).eval()
    tensors = {name: t.detach().to(torch.float16).contiguous() for name, t in model.state_dict().items()
               if not name.endswith("position_ids")}
    os.makedirs(args.out, exist_ok=True)
    weights = os.path.join(args.out, "model.safetensors")
    save_file(tensors, weights + ".tmp", metadata={"format": "pt"})
    os.chmod(weights + ".tmp", 0o644)
    os.replace(weights + ".tmp", weights)
    full = model.config.to_dict()
    config = {key: full[key] for key in CONFIG_KEYS}
    config.update({"architectures": ["BertForSequenceClassification"], "model_type": "bert",
                   "torch_dtype": "float16", "id2label": {"0": "LABEL_0"}, "label2id": {"LABEL_0": 0}})
    write_text(os.path.join(args.out, "config.json"), json.dumps(dict(sorted(config.items())), indent=2) + "\n")
    for name in TOKENIZER_FILES:
        target = os.path.join(args.out, name)
        shutil.copyfile(os.path.join(encoder_dir(), name), target + ".tmp")
        os.replace(target + ".tmp", target)
    tokenizer_config = {"tokenizer_class": "BertTokenizer", "do_lower_case": True, "tokenize_chinese_chars": True,
                        "strip_accents": None, "model_max_length": 512, "unk_token": "[UNK]", "sep_token": "[SEP]",
                        "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]"}
    write_text(os.path.join(args.out, "tokenizer_config.json"), json.dumps(tokenizer_config, indent=2) + "\n")
    print(f"export: {len(tensors)} tensors, {os.path.getsize(os.path.join(args.out, 'model.safetensors'))} bytes")


if __name__ == "__main__":
    main()

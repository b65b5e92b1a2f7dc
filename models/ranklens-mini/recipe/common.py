import json
import os

import torch

from bert_tokenizer import BertTokenizer
from modeling import BertForSequenceClassification
from safetensors_io import load_file, save_file

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL_DIR = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(MODEL_DIR))
WORKSPACE = os.path.join(REPO, "sample-workspace")
SHARED = os.environ.get("RANKLENS_SHARED_DATA", os.path.join(os.path.dirname(REPO), "shared", "data"))

CONFIG = {
    "architectures": ["BertForSequenceClassification"],
    "attention_probs_dropout_prob": 0.1,
    "classifier_dropout": None,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "hidden_size": 256,
    "id2label": {"0": "LABEL_0"},
    "initializer_range": 0.02,
    "intermediate_size": 1024,
    "label2id": {"LABEL_0": 0},
    "layer_norm_eps": 1e-12,
    "max_position_embeddings": 512,
    "model_type": "bert",
    "num_attention_heads": 8,
    "num_hidden_layers": 6,
    "pad_token_id": 0,
    "position_embedding_type": "absolute",
    "torch_dtype": "float16",
    "type_vocab_size": 2,
    "use_cache": True,
    "vocab_size": 30522,
}

TOKENIZER_CONFIG = {
    "clean_up_tokenization_spaces": True,
    "cls_token": "[CLS]",
    "do_basic_tokenize": True,
    "do_lower_case": True,
    "mask_token": "[MASK]",
    "model_max_length": 512,
    "never_split": None,
    "pad_token": "[PAD]",
    "sep_token": "[SEP]",
    "strip_accents": None,
    "tokenize_chinese_chars": True,
    "tokenizer_class": "BertTokenizer",
    "unk_token": "[UNK]",
}

SPECIAL_TOKENS_MAP = {
    "cls_token": "[CLS]",
    "mask_token": "[MASK]",
    "pad_token": "[PAD]",
    "sep_token": "[SEP]",
    "unk_token": "[UNK]",
}


def model_config():
    c = dict(CONFIG)
    c["num_labels"] = len(c["id2label"])
    return c


def vocab_path():
    return os.path.join(SHARED, "bert", "bert-base-uncased-vocab.txt")


def tokenizer():
    return BertTokenizer(vocab_path())


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")


def save_checkpoint(model, out_dir, config=None):
    """Writes the model exactly as HF save_pretrained would lay it out (weights stored as float16)."""
    os.makedirs(out_dir, exist_ok=True)
    tensors = {k: v.to(torch.float16) for k, v in model.state_dict().items()}
    tmp = os.path.join(out_dir, "model.safetensors.tmp")
    save_file(tensors, tmp, {"format": "pt"})
    os.replace(tmp, os.path.join(out_dir, "model.safetensors"))
    write_json(os.path.join(out_dir, "config.json"), config or CONFIG)
    write_json(os.path.join(out_dir, "tokenizer_config.json"), TOKENIZER_CONFIG)
    write_json(os.path.join(out_dir, "special_tokens_map.json"), SPECIAL_TOKENS_MAP)
    with open(vocab_path(), "rb") as src, open(os.path.join(out_dir, "vocab.txt"), "wb") as dst:
        dst.write(src.read())


def load_model(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        c = json.load(f)
    c["num_labels"] = len(c["id2label"])
    model = BertForSequenceClassification(c)
    state = {k: v.float() for k, v in load_file(os.path.join(model_dir, "model.safetensors")).items()}
    missing, unexpected = model.load_state_dict(state, strict=True), None
    del missing, unexpected
    model.eval()
    return model


def collate(pairs, pad_id):
    """pairs: list of (input_ids, token_type_ids) -> padded LongTensors and attention mask."""
    width = max(len(ids) for ids, _ in pairs)
    input_ids = torch.full((len(pairs), width), pad_id, dtype=torch.long)
    token_types = torch.zeros((len(pairs), width), dtype=torch.long)
    mask = torch.zeros((len(pairs), width), dtype=torch.long)
    for i, (ids, types) in enumerate(pairs):
        input_ids[i, : len(ids)] = torch.tensor(ids)
        token_types[i, : len(types)] = torch.tensor(types)
        mask[i, : len(ids)] = 1
    return input_ids, token_types, mask

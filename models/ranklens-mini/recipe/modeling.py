"""BertForSequenceClassification written out in PyTorch with Hugging Face's exact parameter names.

Conventions follow bert-base-uncased: absolute position embeddings, token type embeddings, post-layer-norm
residual blocks, exact (erf) GELU, tanh pooler over [CLS], dropout on embeddings / attention probabilities /
block outputs / pooled output.
"""
import math

import torch
from torch import nn

# torch >= 2.0 has fused scaled-dot-product attention; Debian's 1.13 does not (the slow path is the reference).
FAST_ATTENTION = hasattr(nn.functional, "scaled_dot_product_attention")


class BertEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["hidden_size"], padding_idx=c["pad_token_id"])
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["hidden_size"])
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, input_ids, token_type_ids):
        positions = torch.arange(input_ids.shape[1], device=input_ids.device).unsqueeze(0)
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids) + self.position_embeddings(positions)
        return self.dropout(self.LayerNorm(x))


class BertSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads = c["num_attention_heads"]
        self.head_dim = c["hidden_size"] // self.heads
        self.query = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.key = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.value = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.dropout = nn.Dropout(c["attention_probs_dropout_prob"])

    def _split(self, x):
        b, t, _ = x.shape
        return x.view(b, t, self.heads, self.head_dim).transpose(1, 2)

    def forward(self, hidden, additive_mask):
        q, k, v = self._split(self.query(hidden)), self._split(self.key(hidden)), self._split(self.value(hidden))
        if FAST_ATTENTION and isinstance(additive_mask, tuple):
            # Training path (torch >= 2): fused attention, no probabilities; the mask is (bool keep [b,1,1,n],).
            context = nn.functional.scaled_dot_product_attention(
                q, k, v, attn_mask=additive_mask[0], dropout_p=self.dropout.p if self.training else 0.0)
            b, h, t, d = context.shape
            return context.transpose(1, 2).reshape(b, t, h * d), None
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim) + additive_mask
        probs = torch.softmax(scores, dim=-1)
        context = torch.matmul(self.dropout(probs), v)
        b, h, t, d = context.shape
        return context.transpose(1, 2).reshape(b, t, h * d), probs


class BertSelfOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, x, residual):
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)


class BertAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = BertSelfAttention(c)
        self.output = BertSelfOutput(c)

    def forward(self, hidden, additive_mask):
        context, probs = self.self(hidden, additive_mask)
        return self.output(context, hidden), probs


class BertIntermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])

    def forward(self, x):
        return nn.functional.gelu(self.dense(x))  # exact erf GELU, as HF "gelu"


class BertOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["intermediate_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, x, residual):
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)


class BertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = BertAttention(c)
        self.intermediate = BertIntermediate(c)
        self.output = BertOutput(c)

    def forward(self, hidden, additive_mask):
        attended, probs = self.attention(hidden, additive_mask)
        return self.output(self.intermediate(attended), attended), probs


class BertEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(c) for _ in range(c["num_hidden_layers"])])


class BertPooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])

    def forward(self, hidden):
        return torch.tanh(self.dense(hidden[:, 0]))


class BertModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = BertEmbeddings(c)
        self.encoder = BertEncoder(c)
        self.pooler = BertPooler(c)

    def forward(self, input_ids, token_type_ids, attention_mask, output_attentions=False):
        if FAST_ATTENTION and not output_attentions:
            additive = (attention_mask[:, None, None, :] > 0,)
        else:
            # HF uses the dtype's minimum as the additive mask for padded keys.
            additive = (1.0 - attention_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        hidden = self.embeddings(input_ids, token_type_ids)
        attentions = []
        for layer in self.encoder.layer:
            hidden, probs = layer(hidden, additive)
            if output_attentions:
                attentions.append(probs)
        return hidden, self.pooler(hidden), attentions


class BertForSequenceClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.bert = BertModel(c)
        drop = c.get("classifier_dropout")
        self.dropout = nn.Dropout(c["hidden_dropout_prob"] if drop is None else drop)
        self.classifier = nn.Linear(c["hidden_size"], c["num_labels"])
        self.apply(self._init_weights)

    def _init_weights(self, module):
        # Same scheme as HF BertPreTrainedModel._init_weights.
        std = self.config["initializer_range"]
        if isinstance(module, nn.Linear):
            module.weight.data.normal_(0.0, std)
            module.bias.data.zero_()
        elif isinstance(module, nn.Embedding):
            module.weight.data.normal_(0.0, std)
            if module.padding_idx is not None:
                module.weight.data[module.padding_idx].zero_()
        elif isinstance(module, nn.LayerNorm):
            module.weight.data.fill_(1.0)
            module.bias.data.zero_()

    def forward(self, input_ids, token_type_ids, attention_mask, output_attentions=False):
        _, pooled, attentions = self.bert(input_ids, token_type_ids, attention_mask, output_attentions)
        logits = self.classifier(self.dropout(pooled))
        return logits, attentions


class BertMlmHead(nn.Module):
    """BERT's masked-LM head (dense, GELU, LayerNorm, decoder tied to the word embeddings); used only while
    pretraining and not part of the shipped checkpoint."""

    def __init__(self, c, word_embeddings):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.word_embeddings = word_embeddings
        self.bias = nn.Parameter(torch.zeros(c["vocab_size"]))
        self.dense.weight.data.normal_(0.0, c["initializer_range"])
        self.dense.bias.data.zero_()

    def forward(self, hidden):
        x = self.LayerNorm(nn.functional.gelu(self.dense(hidden)))
        return x @ self.word_embeddings.weight.t() + self.bias

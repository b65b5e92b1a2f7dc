"""BertTokenizer (uncased) re-implemented: basic tokenization then greedy longest-match WordPiece.

Matches Hugging Face BertTokenizer with do_lower_case=True, strip_accents=None (so accents are stripped
because lower-casing is on), tokenize_chinese_chars=True, max_input_chars_per_word=100.
"""
import unicodedata

PAD, UNK, CLS, SEP, MASK = "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"


def load_vocab(path):
    vocab = {}
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            token = line.rstrip("\n")
            vocab[token] = i
    return vocab


def _is_whitespace(ch):
    if ch in (" ", "\t", "\n", "\r"):
        return True
    return unicodedata.category(ch) == "Zs"


def _is_control(ch):
    if ch in ("\t", "\n", "\r"):
        return False
    # Every "C*" category (control, format, surrogate, private use, unassigned), as BERT's _is_control.
    return unicodedata.category(ch).startswith("C")


def _is_punctuation(ch):
    cp = ord(ch)
    # BERT treats every non-letter/number ASCII character as punctuation, e.g. "^", "$", "`".
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp):
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F
        or 0x2B740 <= cp <= 0x2B81F
        or 0x2B820 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


def basic_tokenize(text):
    cleaned = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or _is_control(ch):
            continue
        if _is_whitespace(ch):
            cleaned.append(" ")
        elif _is_cjk(cp):
            cleaned.append(" " + ch + " ")
        else:
            cleaned.append(ch)
    tokens = []
    for word in "".join(cleaned).split():
        word = unicodedata.normalize("NFD", word.lower())
        word = "".join(ch for ch in word if unicodedata.category(ch) != "Mn")
        current = []
        for ch in word:
            if _is_punctuation(ch):
                if current:
                    tokens.append("".join(current))
                    current = []
                tokens.append(ch)
            else:
                current.append(ch)
        if current:
            tokens.append("".join(current))
    return tokens


class BertTokenizer:
    def __init__(self, vocab_path):
        self.vocab = load_vocab(vocab_path)
        self.inv_vocab = {i: t for t, i in self.vocab.items()}
        self.pad_id = self.vocab[PAD]
        self.unk_id = self.vocab[UNK]
        self.cls_id = self.vocab[CLS]
        self.sep_id = self.vocab[SEP]
        self.mask_id = self.vocab[MASK]
        self._cache = {}

    def wordpiece(self, word):
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        if len(word) > 100:
            pieces = [UNK]
        else:
            pieces = []
            start = 0
            while start < len(word):
                end = len(word)
                piece = None
                while start < end:
                    candidate = word[start:end] if start == 0 else "##" + word[start:end]
                    if candidate in self.vocab:
                        piece = candidate
                        break
                    end -= 1
                if piece is None:
                    pieces = [UNK]
                    break
                pieces.append(piece)
                start = end
        self._cache[word] = pieces
        return pieces

    def tokenize(self, text):
        out = []
        for word in basic_tokenize(text):
            out.extend(self.wordpiece(word))
        return out

    def encode(self, text):
        return [self.vocab[t] for t in self.tokenize(text)]

    def encode_pair(self, query_ids, passage_ids, max_length, max_query_length=32):
        """[CLS] query [SEP] passage [SEP]; query then passage truncated to fit max_length."""
        q = query_ids[:max_query_length]
        room = max_length - len(q) - 3
        p = passage_ids[: max(room, 0)]
        input_ids = [self.cls_id] + q + [self.sep_id] + p + [self.sep_id]
        token_type_ids = [0] * (len(q) + 2) + [1] * (len(p) + 1)
        return input_ids, token_type_ids

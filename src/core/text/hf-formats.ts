// Readers for the Hugging Face tokenizer files: tokenizer.json (fast format) and tokenizer_config.json.
import { WordPieceTokenizer, type TokenizerOptions } from './tokenizer';
import { Vocabulary } from './vocabulary';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseJson(text: string, source: string): JsonObject {
  let value: Json;
  try {
    value = JSON.parse(text) as Json;
  } catch (e) {
    throw new Error(`${source}: not valid JSON (${(e as Error).message})`, { cause: e });
  }
  if (!isObject(value)) throw new Error(`${source}: expected a JSON object at the top level`);
  return value;
}

function optionalBoolean(obj: JsonObject, key: string, where: string): boolean | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new Error(`${where}.${key} is ${JSON.stringify(v)}, expected true/false`);
  return v;
}

/** A special token is written either as "[CLS]" or as {"content": "[CLS]", ...}. */
function optionalTokenString(obj: JsonObject, key: string, where: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (isObject(v) && typeof v.content === 'string') return v.content;
  throw new Error(`${where}.${key} is ${JSON.stringify(v)}, expected a token string or {"content": ...}`);
}

interface NormalizerFlags {
  cleanText: boolean;
  handleChineseChars: boolean;
  lowercase: boolean;
  stripAccents: boolean | null;
}

/** Maps the supported normalizers onto BertNormalizer's switches; anything else is refused by name. */
function readNormalizer(node: Json | undefined, source: string): NormalizerFlags {
  const flags: NormalizerFlags = {
    cleanText: false,
    handleChineseChars: false,
    lowercase: false,
    stripAccents: false,
  };
  let pendingNfd = false;
  const visit = (n: Json | undefined, where: string): void => {
    if (n === undefined || n === null) return;
    if (!isObject(n) || typeof n.type !== 'string') {
      throw new Error(`${source}: ${where} is not a normalizer object with a "type"`);
    }
    switch (n.type) {
      case 'BertNormalizer': {
        flags.cleanText = optionalBoolean(n, 'clean_text', where) ?? true;
        flags.handleChineseChars = optionalBoolean(n, 'handle_chinese_chars', where) ?? true;
        flags.lowercase = optionalBoolean(n, 'lowercase', where) ?? true;
        flags.stripAccents = optionalBoolean(n, 'strip_accents', where) ?? null;
        return;
      }
      case 'Sequence': {
        const items = n.normalizers;
        if (!Array.isArray(items)) throw new Error(`${source}: ${where}.normalizers must be an array`);
        items.forEach((item, i) => visit(item, `${where}.normalizers[${i}]`));
        return;
      }
      case 'Lowercase':
        flags.lowercase = true;
        return;
      case 'NFD':
        pendingNfd = true;
        return;
      case 'StripAccents':
        flags.stripAccents = true;
        pendingNfd = false;
        return;
      default:
        throw new Error(
          `${source}: ${where} has type "${n.type}"; supported: BertNormalizer, Sequence, Lowercase, NFD+StripAccents`,
        );
    }
  };
  visit(node, 'normalizer');
  if (pendingNfd) throw new Error(`${source}: an NFD normalizer without StripAccents is not supported`);
  return flags;
}

function checkPreTokenizer(node: Json | undefined, source: string): void {
  const ok = (n: Json | undefined): boolean =>
    isObject(n) &&
    (n.type === 'BertPreTokenizer' ||
      (n.type === 'Sequence' &&
        Array.isArray(n.pretokenizers) &&
        n.pretokenizers.length > 0 &&
        n.pretokenizers.every(ok)));
  if (!ok(node)) {
    const type = isObject(node) ? JSON.stringify(node.type) : JSON.stringify(node ?? null);
    throw new Error(
      `${source}: pre_tokenizer is ${type}, expected "BertPreTokenizer" (BERT WordPiece tokenizers)`,
    );
  }
}

/**
 * Builds the tokenizer a tokenizer.json describes. `overrides` (from tokenizer_config.json) win over the
 * file's normalizer, as BertTokenizerFast rebuilds its normalizer from do_lower_case & co.
 */
export function tokenizerFromTokenizerJson(
  text: string,
  source = 'tokenizer.json',
  overrides: TokenizerOptions = {},
): WordPieceTokenizer {
  const root = parseJson(text, source);
  const model = root.model;
  if (!isObject(model)) throw new Error(`${source}: missing the "model" object`);
  if (model.type !== undefined && model.type !== 'WordPiece') {
    throw new Error(`${source}: model.type is ${JSON.stringify(model.type)}, expected "WordPiece"`);
  }
  if (!isObject(model.vocab)) throw new Error(`${source}: model.vocab must be an object {token: id}`);
  const entries: [string, number][] = [];
  for (const [token, id] of Object.entries(model.vocab)) {
    if (typeof id !== 'number')
      throw new Error(`${source}: model.vocab[${JSON.stringify(token)}] is not a number`);
    entries.push([token, id]);
  }
  const addedTokens: string[] = [];
  if (root.added_tokens !== undefined && root.added_tokens !== null) {
    if (!Array.isArray(root.added_tokens)) throw new Error(`${source}: added_tokens must be an array`);
    root.added_tokens.forEach((t, i) => {
      if (!isObject(t) || typeof t.content !== 'string' || typeof t.id !== 'number') {
        throw new Error(`${source}: added_tokens[${i}] needs a string "content" and a numeric "id"`);
      }
      entries.push([t.content, t.id]);
      addedTokens.push(t.content);
    });
  }
  const vocab = Vocabulary.fromTokenIdMap(entries, source);
  const flags = readNormalizer(root.normalizer, source);
  checkPreTokenizer(root.pre_tokenizer, source);
  const maxChars = model.max_input_chars_per_word;
  if (
    maxChars !== undefined &&
    (typeof maxChars !== 'number' || !Number.isInteger(maxChars) || maxChars < 1)
  ) {
    throw new Error(
      `${source}: model.max_input_chars_per_word is ${JSON.stringify(maxChars)}, expected a positive integer`,
    );
  }
  const prefix = model.continuing_subword_prefix;
  if (prefix !== undefined && prefix !== null && typeof prefix !== 'string') {
    throw new Error(`${source}: model.continuing_subword_prefix must be a string`);
  }
  const unk = optionalTokenString(model, 'unk_token', 'model');
  return new WordPieceTokenizer(vocab, {
    cleanText: flags.cleanText,
    handleChineseChars: flags.handleChineseChars,
    lowercase: flags.lowercase,
    stripAccents: flags.stripAccents,
    neverSplit: addedTokens,
    ...(unk !== undefined ? { unkToken: unk } : {}),
    ...(typeof prefix === 'string' ? { continuingSubwordPrefix: prefix } : {}),
    ...(typeof maxChars === 'number' ? { maxInputCharsPerWord: maxChars } : {}),
    ...overrides,
  });
}

/**
 * tokenizer_config.json: do_lower_case, strip_accents, tokenize_chinese_chars, the special tokens,
 * model_max_length. Only keys that are present are returned, so they can override other sources.
 */
export function optionsFromTokenizerConfig(text: string, source = 'tokenizer_config.json'): TokenizerOptions {
  const root = parseJson(text, source);
  const where = source;
  const options: { -readonly [K in keyof TokenizerOptions]: TokenizerOptions[K] } = {};
  const lowercase = optionalBoolean(root, 'do_lower_case', where);
  if (lowercase !== undefined) options.lowercase = lowercase;
  const strip = optionalBoolean(root, 'strip_accents', where);
  if (strip !== undefined) options.stripAccents = strip;
  const chinese = optionalBoolean(root, 'tokenize_chinese_chars', where);
  if (chinese !== undefined) options.handleChineseChars = chinese;
  const split = optionalBoolean(root, 'split_special_tokens', where);
  if (split !== undefined) options.splitSpecialTokens = split;
  const unk = optionalTokenString(root, 'unk_token', where);
  if (unk !== undefined) options.unkToken = unk;
  const cls = optionalTokenString(root, 'cls_token', where);
  if (cls !== undefined) options.clsToken = cls;
  const sep = optionalTokenString(root, 'sep_token', where);
  if (sep !== undefined) options.sepToken = sep;
  const pad = optionalTokenString(root, 'pad_token', where);
  if (pad !== undefined) options.padToken = pad;
  const mask = optionalTokenString(root, 'mask_token', where);
  if (mask !== undefined) options.maskToken = mask;
  const maxLen = root.model_max_length;
  // HF writes 1e30 ("VERY_LARGE_INTEGER") when a checkpoint states no limit.
  if (typeof maxLen === 'number' && Number.isInteger(maxLen) && maxLen > 0 && maxLen < 1e9) {
    options.modelMaxLength = maxLen;
  }
  return options;
}

/** vocab.txt text (+ options) -> tokenizer. */
export function tokenizerFromVocabText(
  text: string,
  options: TokenizerOptions = {},
  source = 'vocab.txt',
): WordPieceTokenizer {
  return new WordPieceTokenizer(Vocabulary.fromVocabText(text, source), options);
}

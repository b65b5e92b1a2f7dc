// Finding and reading the tokenizer files of a checkpoint directory (Node only: uses the file system).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { optionsFromTokenizerConfig, tokenizerFromTokenizerJson, tokenizerFromVocabText } from './hf-formats';
import type { TokenizerOptions, WordPieceTokenizer } from './tokenizer';

/** The files looked for, in order of preference. */
export const TOKENIZER_FILES = ['tokenizer.json', 'vocab.txt'] as const;
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';

export interface LoadedTokenizer {
  readonly tokenizer: WordPieceTokenizer;
  /** The file the vocabulary came from. */
  readonly vocabularyFile: string;
  /** tokenizer_config.json, when there was one. */
  readonly configFile: string | undefined;
}

/**
 * Builds the tokenizer of a checkpoint directory (or of a vocab.txt / tokenizer.json given directly):
 * tokenizer.json if present, else vocab.txt; tokenizer_config.json's flags apply to either, and
 * `options` win over both.
 */
export function loadTokenizerFiles(checkpoint: string, options: TokenizerOptions = {}): LoadedTokenizer {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(checkpoint);
  } catch {
    throw new Error(`tokenizer: ${checkpoint} does not exist`);
  }
  const dir = stat.isDirectory() ? checkpoint : path.dirname(checkpoint);
  const configPath = path.join(dir, TOKENIZER_CONFIG_FILE);
  const configFile = fs.existsSync(configPath) ? configPath : undefined;
  const fromConfig = configFile
    ? optionsFromTokenizerConfig(fs.readFileSync(configFile, 'utf8'), configFile)
    : {};
  const merged: TokenizerOptions = { ...fromConfig, ...options };

  const candidates = stat.isDirectory() ? TOKENIZER_FILES.map((f) => path.join(dir, f)) : [checkpoint];
  const vocabularyFile = candidates.find((f) => fs.existsSync(f));
  if (vocabularyFile === undefined) {
    let present: string[] = [];
    try {
      present = fs.readdirSync(dir).slice(0, 20);
    } catch {
      // Unreadable directory: the message below still names it.
    }
    throw new Error(
      `No usable tokenizer in ${dir}: looked for ${TOKENIZER_FILES.join(' and ')}` +
        ` (found ${present.length === 0 ? 'nothing' : present.join(', ')})`,
    );
  }
  const text = fs.readFileSync(vocabularyFile, 'utf8');
  const tokenizer = vocabularyFile.endsWith('.json')
    ? tokenizerFromTokenizerJson(text, vocabularyFile, merged)
    : tokenizerFromVocabText(text, merged, vocabularyFile);
  return { tokenizer, vocabularyFile, configFile };
}

export function loadTokenizer(checkpoint: string, options: TokenizerOptions = {}): WordPieceTokenizer {
  return loadTokenizerFiles(checkpoint, options).tokenizer;
}

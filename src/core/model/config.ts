import * as fs from 'node:fs';
import * as path from 'node:path';
import { CheckpointError } from './checkpointError';

/** The parts of a Hugging Face BertConfig that fix the network's shape and numerics. */
export interface BertConfig {
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly intermediateSize: number;
  readonly maxPositions: number;
  readonly typeVocabSize: number;
  readonly layerNormEps: number;
  /** 1: the logit is the relevance score; 2: softmax(logits)[1] is. */
  readonly numLabels: 1 | 2;
  readonly architecture: string;
}

const SUPPORTED_ARCHITECTURE = 'BertForSequenceClassification';

function readJson(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new CheckpointError(`cannot read ${file}: ${(e as Error).message}`, file);
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new Error('not a JSON object');
    return value as Record<string, unknown>;
  } catch (e) {
    throw new CheckpointError(`${file} is not valid JSON: ${(e as Error).message}`, file);
  }
}

/**
 * Ranges a BERT config can sensibly take. Far wider than any published BERT (base: 12 layers, hidden 768,
 * vocabulary 30,522, 512 positions), but they turn a typo or a hostile file into a config error naming the
 * field instead of a search for a millionth layer's tensors or an allocation of terabytes.
 */
export const CONFIG_LIMITS = {
  vocab_size: 1_000_000,
  hidden_size: 16_384,
  num_hidden_layers: 256,
  num_attention_heads: 1_024,
  intermediate_size: 65_536,
  max_position_embeddings: 65_536,
  type_vocab_size: 1_024,
} as const;

/** layer_norm_eps keeps LayerNorm from dividing by zero; above this it would swamp the variance itself. */
const MAX_LAYER_NORM_EPS = 0.1;

function boundedInt(
  json: Record<string, unknown>,
  key: keyof typeof CONFIG_LIMITS | 'num_labels',
  file: string,
  fallback?: number,
): number {
  const value = json[key] ?? fallback;
  const max = key === 'num_labels' ? Number.MAX_SAFE_INTEGER : CONFIG_LIMITS[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value > max) {
    const expected = key === 'num_labels' ? 'a positive integer' : `an integer from 1 to ${max}`;
    throw new CheckpointError(`${file}: "${key}" must be ${expected}, found ${JSON.stringify(value)}`, file);
  }
  return value;
}

/** Reads and checks DIR/config.json; only BERT sequence classifiers with absolute positions and erf GELU. */
export function readBertConfig(checkpointDir: string): BertConfig {
  const file = path.join(checkpointDir, 'config.json');
  if (!fs.existsSync(file)) {
    throw new CheckpointError(
      `${checkpointDir} has no config.json (expected a Hugging Face checkpoint folder)`,
      file,
    );
  }
  const json = readJson(file);
  const architectures = Array.isArray(json.architectures) ? json.architectures.map(String) : [];
  const modelType = typeof json.model_type === 'string' ? json.model_type : undefined;
  const architecture = architectures[0] ?? `model_type ${modelType ?? '(none)'}`;
  const otherArchitecture = architectures.find((a) => a !== SUPPORTED_ARCHITECTURE);
  if ((modelType !== undefined && modelType !== 'bert') || otherArchitecture !== undefined) {
    throw new CheckpointError(
      `${file}: unsupported architecture ${otherArchitecture ?? architecture}` +
        `${modelType ? ` (model_type "${modelType}")` : ''}; RankLens runs ${SUPPORTED_ARCHITECTURE} ` +
        `(model_type "bert") checkpoints only`,
      file,
    );
  }
  if (modelType === undefined && architectures.length === 0) {
    throw new CheckpointError(
      `${file}: neither "model_type" nor "architectures" is given; expected a BERT config`,
      file,
    );
  }
  const hiddenAct = json.hidden_act ?? 'gelu';
  if (hiddenAct !== 'gelu') {
    throw new CheckpointError(
      `${file}: hidden_act "${String(hiddenAct)}" is not supported (expected "gelu", erf form)`,
      file,
    );
  }
  const positionType = json.position_embedding_type ?? 'absolute';
  if (positionType !== 'absolute') {
    throw new CheckpointError(
      `${file}: position_embedding_type "${String(positionType)}" is not supported (expected "absolute")`,
      file,
    );
  }
  const id2labelCount =
    typeof json.id2label === 'object' && json.id2label !== null
      ? Object.keys(json.id2label).length
      : undefined;
  const numLabels = boundedInt(json, 'num_labels', file, id2labelCount ?? 2);
  if (numLabels !== 1 && numLabels !== 2) {
    throw new CheckpointError(
      `${file}: ${numLabels} labels; a re-ranker has 1 (score = logit) or 2 (score = softmax(logits)[1])`,
      file,
    );
  }
  const hiddenSize = boundedInt(json, 'hidden_size', file);
  const numHeads = boundedInt(json, 'num_attention_heads', file);
  if (hiddenSize % numHeads !== 0) {
    throw new CheckpointError(
      `${file}: hidden_size ${hiddenSize} is not a multiple of num_attention_heads ${numHeads}`,
      file,
    );
  }
  const eps = json.layer_norm_eps ?? 1e-12;
  if (typeof eps !== 'number' || !(eps > 0) || !(eps <= MAX_LAYER_NORM_EPS)) {
    throw new CheckpointError(
      `${file}: "layer_norm_eps" must be a number above 0 and at most ${MAX_LAYER_NORM_EPS} (BERT uses 1e-12), ` +
        `found ${JSON.stringify(eps)}`,
      file,
    );
  }
  return {
    vocabSize: boundedInt(json, 'vocab_size', file),
    hiddenSize,
    numLayers: boundedInt(json, 'num_hidden_layers', file),
    numHeads,
    intermediateSize: boundedInt(json, 'intermediate_size', file),
    maxPositions: boundedInt(json, 'max_position_embeddings', file, 512),
    typeVocabSize: boundedInt(json, 'type_vocab_size', file, 2),
    layerNormEps: eps,
    numLabels,
    architecture: architectures[0] ?? SUPPORTED_ARCHITECTURE,
  };
}

import * as fs from 'node:fs';
import * as path from 'node:path';
import { CheckpointError } from './errors';

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

function positiveInt(json: Record<string, unknown>, key: string, file: string, fallback?: number): number {
  const value = json[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new CheckpointError(
      `${file}: "${key}" must be a positive integer, found ${JSON.stringify(value)}`,
      file,
    );
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
  const numLabels = positiveInt(json, 'num_labels', file, id2labelCount ?? 2);
  if (numLabels !== 1 && numLabels !== 2) {
    throw new CheckpointError(
      `${file}: ${numLabels} labels; a re-ranker has 1 (score = logit) or 2 (score = softmax(logits)[1])`,
      file,
    );
  }
  const hiddenSize = positiveInt(json, 'hidden_size', file);
  const numHeads = positiveInt(json, 'num_attention_heads', file);
  if (hiddenSize % numHeads !== 0) {
    throw new CheckpointError(
      `${file}: hidden_size ${hiddenSize} is not a multiple of num_attention_heads ${numHeads}`,
      file,
    );
  }
  const eps = json.layer_norm_eps ?? 1e-12;
  if (typeof eps !== 'number' || !(eps > 0)) {
    throw new CheckpointError(
      `${file}: "layer_norm_eps" must be a positive number, found ${JSON.stringify(eps)}`,
      file,
    );
  }
  return {
    vocabSize: positiveInt(json, 'vocab_size', file),
    hiddenSize,
    numLayers: positiveInt(json, 'num_hidden_layers', file),
    numHeads,
    intermediateSize: positiveInt(json, 'intermediate_size', file),
    maxPositions: positiveInt(json, 'max_position_embeddings', file, 512),
    typeVocabSize: positiveInt(json, 'type_vocab_size', file, 2),
    layerNormEps: eps,
    numLabels,
    architecture: architectures[0] ?? SUPPORTED_ARCHITECTURE,
  };
}

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BertCheckpoint } from '../model/checkpoint';
import { BERT_GRAPH_VERSION, buildBertGraph, type GraphVariant } from './graph';

const PRODUCER = 'ranklens';

function docString(checkpoint: BertCheckpoint, variant: GraphVariant): string {
  return JSON.stringify({
    checkpoint: checkpoint.dir,
    fingerprint: checkpoint.fingerprint,
    variant,
    BERT_GRAPH_VERSION,
  });
}

/** The ONNX model in memory (small models, tests; large ones should go through the disk cache). */
export function bertModelBytes(checkpoint: BertCheckpoint, variant: GraphVariant): Uint8Array {
  return buildBertGraph(checkpoint, variant).encode(PRODUCER, docString(checkpoint, variant)).toBytes();
}

/** File name that changes with the checkpoint's content, the graph builder version and the variant. */
export function bertGraphCacheKey(checkpoint: BertCheckpoint, variant: GraphVariant): string {
  const key = crypto
    .createHash('sha256')
    .update(`${checkpoint.fingerprint}\n${BERT_GRAPH_VERSION}\n${variant}`)
    .digest('hex')
    .slice(0, 32);
  return `bert-${variant}-${key}.onnx`;
}

/**
 * Returns the path of the cached .onnx for this checkpoint and variant, building it first if needed.
 * Weights are streamed tensor by tensor into the file, and the file appears atomically (rename).
 */
export function ensureBertGraphFile(
  checkpoint: BertCheckpoint,
  variant: GraphVariant,
  cacheDir: string,
): string {
  fs.mkdirSync(cacheDir, { recursive: true });
  const file = path.join(cacheDir, bertGraphCacheKey(checkpoint, variant));
  if (fs.existsSync(file)) return file;
  const partial = `${file}.${process.pid}.${Date.now()}.partial`;
  try {
    buildBertGraph(checkpoint, variant).encode(PRODUCER, docString(checkpoint, variant)).writeToFile(partial);
    fs.renameSync(partial, file);
  } finally {
    fs.rmSync(partial, { force: true });
  }
  return file;
}

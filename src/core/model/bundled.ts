import * as path from 'node:path';

/**
 * The cross-encoder RankLens ships and uses when no other is chosen (models/<name>/MODEL_CARD.md): the
 * pretrained all-MiniLM-L6-v2 encoder fine-tuned for MS MARCO passage re-ranking.
 */
export const BUNDLED_MODEL_NAME = 'ranklens-minilm-l6';

/** The bundled model's folder below the package root (the extension's or the CLI's). */
export const BUNDLED_MODEL_FOLDER = path.join('models', BUNDLED_MODEL_NAME);

// `--model A --model B`: the models a command is run with, each checked as a checkpoint before any work is
// done, and the folder name each one's results go under.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openBertCheckpoint } from '../core/model/checkpoint';
import { UsageError } from './args';

/** Every `--model DIR` (or `--model=DIR`) of argv, in order, and the arguments without them. */
export function takeModels(argv: readonly string[]): { models: string[]; rest: string[] } {
  const models: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--model') {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError('--model needs a value');
      models.push(value);
      i++;
    } else if (arg.startsWith('--model=')) models.push(arg.slice('--model='.length));
    else rest.push(arg);
  }
  return { models, rest };
}

/** The same folder however it is spelled (symbolic links, "./", trailing slashes). */
function identity(dir: string): string {
  try {
    return fs.realpathSync(dir);
  } catch {
    return path.resolve(dir);
  }
}

/**
 * Checks two or more models to compare before any of them is run: each must be a checkpoint folder (config.json
 * and weights), and no folder may be given twice (a model compared with itself is the same numbers twice).
 */
export function checkComparedModels(models: readonly string[]): void {
  if (models.length < 2)
    throw new UsageError(`comparing models needs two or more --model folders, got ${models.length}`);
  const seen = new Map<string, string>();
  for (const dir of models) {
    const id = identity(dir);
    const earlier = seen.get(id);
    if (earlier !== undefined)
      throw new UsageError(
        `--model ${dir} and --model ${earlier} are the same folder: give two different models to compare`,
      );
    seen.set(id, dir);
    openBertCheckpoint(dir);
  }
}

/**
 * A name per model that is also its results' folder name: the model folder's name, with "-2", "-3", ... where
 * two models' folders have the same name (checkpoints/a/model and checkpoints/b/model).
 */
export function modelNames(models: readonly string[]): string[] {
  const used = new Set<string>();
  return models.map((dir) => {
    const base = path.basename(path.resolve(dir)).replace(/[^A-Za-z0-9_.-]/g, '_') || 'model';
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}-${n}`;
    used.add(name);
    return name;
  });
}

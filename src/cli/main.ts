import { DataError } from '../core/data';
import { CancelledError } from '../core/progress';
import { UsageError } from './args';
import * as attributeCommand from './commands/attribute';
import * as evalCommand from './commands/eval';
import * as inspectCommand from './commands/inspect';
import * as scoreCommand from './commands/score';
import { CheckpointError } from '../core/model/errors';

interface Command {
  readonly usage: string;
  run(argv: string[]): Promise<number>;
}

const commands: Record<string, Command> = {
  eval: evalCommand,
  score: scoreCommand,
  inspect: inspectCommand,
  attribute: attributeCommand,
};

function help(): string {
  return ['usage: ranklens <command> [options]', '', ...Object.values(commands).map((c) => c.usage), ''].join(
    '\n',
  );
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`ranklens: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`ranklens ${name}: ${error.message}\n\n${command.usage}\n`);
      return 2;
    }
    if (error instanceof DataError || error instanceof CheckpointError || error instanceof CancelledError) {
      process.stderr.write(`ranklens ${name}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

/** Runs the CLI on this process's arguments and exits with its code. */
export function runCli(): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(
        `ranklens: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}

if (require.main === module) runCli();

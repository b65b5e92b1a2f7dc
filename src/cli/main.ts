import * as analyzeCommand from './commands/analyze';
import * as cancelCommand from './commands/cancel';
import * as jobsCommand from './commands/jobs';
import * as resumeCommand from './commands/resume';
import * as attributeCommand from './commands/attribute';
import * as evalCommand from './commands/eval';
import * as inspectCommand from './commands/inspect';
import * as mergeCommand from './commands/merge';
import * as reportCommand from './commands/report';
import * as scoreCommand from './commands/score';
import { asksForHelp, EXIT_OK, EXIT_USAGE, reportError, runCommandLine, type CliCommand } from './io';

const commands: Record<string, CliCommand> = {
  eval: evalCommand,
  score: scoreCommand,
  inspect: inspectCommand,
  attribute: attributeCommand,
  analyze: analyzeCommand,
  report: reportCommand,
  merge: mergeCommand,
  jobs: jobsCommand,
  resume: resumeCommand,
  cancel: cancelCommand,
};

function help(): string {
  return ['usage: ranklens <command> [options]', '', ...Object.values(commands).map((c) => c.usage), ''].join(
    '\n',
  );
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? commands[rest[0] ?? ''] : undefined;
    process.stdout.write(topic ? `${topic.usage}\n` : help());
    return name ? EXIT_OK : EXIT_USAGE;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(
      `ranklens: unknown command "${name}" (known: ${Object.keys(commands).join(', ')})\n`,
    );
    return EXIT_USAGE;
  }
  if (asksForHelp(rest)) {
    process.stdout.write(`${command.usage}\n`);
    return EXIT_OK;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    return reportError(name, error);
  }
}

/** Runs the CLI on this process's arguments and exits with its code once its output has drained. */
export function runCli(): void {
  runCommandLine(main);
}

if (require.main === module) runCli();

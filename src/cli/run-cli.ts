import { parseArgs } from 'node:util';
import { StreamkitError } from '../core/errors.js';
import { inspectStateCommand } from './inspect-state-command.js';
import { readTableCommand } from './read-table-command.js';

/** Where the CLI writes: stdout for results, stderr for errors and usage. */
export interface CliIo {
  out: { write(text: string): unknown; once?(event: 'drain', listener: () => void): unknown };
  err: { write(text: string): unknown };
}

/** Exit codes: success, a failure the message explains, a command line the CLI does not understand. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export const USAGE = `usage: streamkit <command> [options]

commands:
  inspect-state <dir> [--json]             the last checkpoint of a levelState directory: its id, the
                                           source positions, each operator's id, fingerprint and size
                                           (entries, bytes), and the state format version
  read-table <dir> [--limit N] [--json]    the rows of a toLevel table, in id order

options:
  --limit N    read-table: print at most N rows
  --json       one JSON value per line instead of text
  -h, --help   this text

Stop the job first: LevelDB lets one process open a directory at a time.
`;

/** A command line the CLI cannot run: printed with the usage, exit code 2. */
class UsageError extends Error {}

/**
 * Runs the `streamkit` command line: parses `args` (`node:util` parseArgs, strict), runs the
 * command and returns the exit code. Every failure is printed as one readable line, never a stack
 * trace: a command line it does not understand with the usage (exit 2), a failure with its message
 * and `StreamkitError` code (exit 1).
 * @param args the arguments after the program name.
 * @param io where to write.
 * @example process.exitCode = await runCli(['inspect-state', './state'], { out: process.stdout, err: process.stderr });
 */
export async function runCli(args: string[], io: CliIo): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: { json: { type: 'boolean' }, limit: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
    const [command, ...rest] = positionals;
    if (values.help || command === 'help') {
      io.out.write(USAGE);
      return EXIT_OK;
    }
    if (command === undefined) throw new UsageError('no command given');
    const dir = onlyDirectory(command, rest);
    switch (command) {
      case 'inspect-state':
        if (values.limit !== undefined) throw new UsageError('inspect-state takes no --limit');
        await inspectStateCommand(dir, { json: values.json === true }, io.out);
        return EXIT_OK;
      case 'read-table':
        await readTableCommand(dir, { json: values.json === true, limit: parseLimit(values.limit) }, io.out);
        return EXIT_OK;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      io.err.write(`streamkit: ${usageProblem(error as Error)}\n\n${USAGE}`);
      return EXIT_USAGE;
    }
    io.err.write(`streamkit: ${describe(error)}\n`);
    return EXIT_FAILED;
  }
}

function onlyDirectory(command: string, rest: string[]): string {
  if (rest.length === 0) throw new UsageError(`${command} needs a directory: streamkit ${command} <dir>`);
  if (rest.length > 1) throw new UsageError(`${command} takes one directory, got ${rest.length} arguments: ${rest.join(' ')}`);
  return rest[0];
}

function parseLimit(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const limit = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(limit) || limit < 1) {
    throw new UsageError(`--limit must be a positive integer, got ${JSON.stringify(text)}`);
  }
  return limit;
}

/** parseArgs' own messages run on with advice about positionals; the first sentence says what is wrong. */
function usageProblem(error: Error): string {
  if (error instanceof UsageError) return error.message;
  const option = /'(-[^']*)'/.exec(error.message)?.[1];
  const code = (error as { code?: string }).code;
  if (option && code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${option}`;
  if (option && code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return `option ${option} needs a value`;
  return error.message.split('. ')[0];
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

function describe(error: unknown): string {
  if (error instanceof StreamkitError) return `${error.message} [${error.code}]`;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

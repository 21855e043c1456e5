#!/usr/bin/env node
/**
 * The `streamkit` command (package.json `bin`): checks an operator reaches for on a host where a
 * job runs. See {@link runCli} and docs/operations.md.
 * @module
 */
import { runCli } from './run-cli.js';

// `streamkit read-table … | head` closes the pipe early: that is the reader's choice, not a failure.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

void runCli(process.argv.slice(2), { out: process.stdout, err: process.stderr }).then((code) => {
  process.exitCode = code;
});

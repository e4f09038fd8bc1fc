#!/usr/bin/env node
import { BackupError, ErrorCode } from '@backup/core';
import { main } from './cli.ts';

// The first Ctrl-C (or SIGTERM) stops the operation cleanly; a second one exits at once.
const controller = new AbortController();
let interrupts = 0;
const onSignal = (signal: NodeJS.Signals): void => {
  if (++interrupts > 1) process.exit(130);
  controller.abort(new BackupError(ErrorCode.ABORTED, `interrupted by ${signal}`));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await main(process.argv.slice(2), {
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  write: (text) => process.stderr.write(text),
  tty: process.stderr.isTTY === true,
  signal: controller.signal,
});
process.exit(code);

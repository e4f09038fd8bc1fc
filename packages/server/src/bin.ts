#!/usr/bin/env node
import { main } from './cli.ts';

// The first SIGTERM/SIGINT stops gracefully; a second one exits at once.
const stopSignal = (): Promise<string> =>
  new Promise((resolve) => {
    let received = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (++received > 1) process.exit(130);
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });

const code = await main(process.argv.slice(2), {
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  stopSignal,
});
process.exit(code);

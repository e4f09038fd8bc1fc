import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { ServerConfig } from '../config.ts';

/** Where log lines go: a stream, or a function receiving each line (tests). */
export type LogDestination = NodeJS.WritableStream | ((line: string) => void);

/**
 * The node's logger: pino, one JSON object per line (`LOG_FORMAT=json`, the
 * default, as Weaviate) or `time LEVEL msg key=value ...` (`LOG_FORMAT=text`),
 * at `LOG_LEVEL`. Every line passes `redact` before it is written, so no
 * secret reaches the log whatever a message quotes.
 */
export function createLogger(
  logging: ServerConfig['logging'],
  options: { readonly node: string; readonly redact: (text: string) => string; readonly destination: LogDestination },
): Logger {
  const { redact, destination } = options;
  const write = typeof destination === 'function' ? destination : (line: string) => void destination.write(line);
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue;
        const clean = redact(line);
        write(`${logging.format === 'text' ? asText(clean) : clean}\n`);
      }
      callback();
    },
  });
  return pino(
    {
      level: logging.level,
      base: { node: options.node },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Level names, not numbers: `"level":"info"` as Weaviate's logrus writes it.
      formatters: { level: (label) => ({ level: label }) },
      messageKey: 'msg',
    },
    sink,
  );
}

/** One JSON line as `2026-01-01T00:00:00.000Z INFO message key=value ...`. */
function asText(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { time, level, msg, ...fields } = record;
  const pairs = Object.entries(fields).map(([key, value]) => `${key}=${formatValue(value)}`);
  return [String(time ?? ''), String(level ?? '').toUpperCase(), String(msg ?? ''), ...pairs].filter((part) => part !== '').join(' ');
}

function formatValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /[\s"=]/.test(text) ? JSON.stringify(text) : text;
}

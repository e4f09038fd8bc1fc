import { formatBytes } from './format.ts';

/** What one status poll says about progress (the server's `progress` field). */
export interface ProgressSample {
  readonly status: string;
  readonly bytesDone: number;
  readonly bytesTotal: number | null;
  readonly bytesPerSecond: number;
  readonly etaSeconds: number | null;
}

/** `65` → `1m05s`. */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '--';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * One line of a progress bar, e.g.
 * `backup nightly TRANSFERRING [########------------]  40%  12.0 MiB / 30.0 MiB  3.1 MiB/s  ETA 6s`.
 */
export function renderBar(label: string, sample: ProgressSample, width = 24): string {
  const total = sample.bytesTotal;
  const ratio = total === null ? undefined : total === 0 ? 1 : Math.min(1, sample.bytesDone / total);
  const filled = ratio === undefined ? 0 : Math.round(ratio * width);
  const bar = ratio === undefined ? `[${'?'.repeat(width)}]` : `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
  const percent = ratio === undefined ? '  ?%' : `${String(Math.floor(ratio * 100)).padStart(3)}%`;
  const bytes = `${formatBytes(sample.bytesDone)} / ${total === null ? '?' : formatBytes(total)}`;
  return `${label} ${sample.status} ${bar} ${percent}  ${bytes}  ${formatBytes(sample.bytesPerSecond)}/s  ETA ${formatEta(sample.etaSeconds)}`;
}

/**
 * Shows progress on stderr: a bar redrawn in place on a terminal, else one
 * plain line at most every `intervalMs` (logs stay readable).
 */
export class ProgressDisplay {
  readonly #write: (text: string) => void;
  readonly #tty: boolean;
  readonly #intervalMs: number;
  #last = 0;
  #drawn = false;

  constructor(options: { readonly write: (text: string) => void; readonly tty: boolean; readonly intervalMs?: number }) {
    this.#write = options.write;
    this.#tty = options.tty;
    this.#intervalMs = options.intervalMs ?? 1000;
  }

  update(label: string, sample: ProgressSample): void {
    const line = renderBar(label, sample);
    if (this.#tty) {
      // Carriage return, the line, then clear what a longer previous line left.
      this.#write(`\r${line}\u001b[K`);
      this.#drawn = true;
      return;
    }
    const now = Date.now();
    if (now - this.#last < this.#intervalMs) return;
    this.#last = now;
    this.#write(`${line}\n`);
  }

  /** Ends the bar's line, so what follows starts on its own. */
  done(): void {
    if (this.#tty && this.#drawn) this.#write('\n');
    this.#drawn = false;
  }
}

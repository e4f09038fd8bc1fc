/** What the commands need from the process; the bin passes the real one, tests their own. */
export interface CliIo {
  readonly env: NodeJS.ProcessEnv;
  /** One line of results (stdout). */
  readonly out: (line: string) => void;
  /** One line of progress or diagnostics (stderr). */
  readonly err: (line: string) => void;
  /** True when stderr is a terminal: progress is a bar redrawn in place. */
  readonly tty?: boolean | undefined;
  /** Raw text to stderr (no newline added), for the bar. Default: `err` per line. */
  readonly write?: ((text: string) => void) | undefined;
  /** Fires when the user interrupts (Ctrl-C): the running operation stops cleanly. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Imports provider packages named by `ENABLE_MODULES`. Default: `import()`
   * from this package, which depends on the four built-in providers.
   */
  readonly importModule?: ((specifier: string) => Promise<unknown>) | undefined;
}

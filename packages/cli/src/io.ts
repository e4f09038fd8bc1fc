/** What the commands need from the process; the bin passes the real one, tests their own. */
export interface CliIo {
  readonly env: NodeJS.ProcessEnv;
  /** One line of results (stdout). */
  readonly out: (line: string) => void;
  /** One line of progress or diagnostics (stderr). */
  readonly err: (line: string) => void;
  /** Fires when the user interrupts (Ctrl-C): the running operation stops cleanly. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Imports provider packages named by `ENABLE_MODULES`. Default: `import()`
   * from this package, which depends on the four built-in providers.
   */
  readonly importModule?: ((specifier: string) => Promise<unknown>) | undefined;
}

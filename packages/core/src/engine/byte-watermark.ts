/**
 * Progress of work that is retried whole (a chunk upload or read): every
 * attempt counts its bytes from zero, but only what goes past the furthest
 * earlier attempt is reported, so totals never count a byte twice and never
 * go backwards. Call the result once per attempt.
 */
export function byteWatermark(report: ((bytes: number) => void) | undefined): () => (bytes: number) => void {
  let reported = 0;
  return () => {
    let attempt = 0;
    return (bytes) => {
      attempt += bytes;
      if (attempt <= reported) return;
      report?.(attempt - reported);
      reported = attempt;
    };
  };
}

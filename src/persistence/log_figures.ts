// Durations, sizes and rates as the persistence manager's log lines write them.

/** Milliseconds as seconds, to the millisecond. */
export function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** Bytes as megabytes, to one decimal. */
export function mb(bytes: number): string {
  return (bytes / 1048576).toFixed(1);
}

/** Bytes per `ms` milliseconds, as MB/s. */
export function rate(bytes: number, ms: number): string {
  return `${(bytes / 1048576 / Math.max(ms, 1) * 1000).toFixed(1)} MB/s`;
}

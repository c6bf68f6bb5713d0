// ACL LOG: recent refusals (commands, keys, channels, failed logins), newest first.
// A refusal like one among the latest few (same reason, context, object and user,
// within a minute) counts on that entry instead of adding one.

/** How far back an entry can still absorb a like refusal. */
const GROUPING_MS = 60_000;
/** How many of the newest entries are compared with a new refusal. */
const GROUPING_SCAN = 10;

export interface AclLogEntry {
  count: number;
  /** "command", "key", "channel" or "auth". */
  reason: string;
  /** "toplevel", "multi", "lua" or "module". */
  context: string;
  /** The command, key or channel refused; AUTH or HELLO for a failed login. */
  object: string;
  username: string;
  /** Unix ms of the latest refusal counted. */
  time: number;
  /** CLIENT INFO of the client at the latest refusal. */
  clientInfo: string;
}

export class AclLog {
  /** Newest first. */
  entries: AclLogEntry[] = [];

  add(entry: Omit<AclLogEntry, "count">, maxLength: number): void {
    const entries = this.entries;
    const scan = Math.min(entries.length, GROUPING_SCAN);
    for (let i = 0; i < scan; i++) {
      const e = entries[i];
      if (
        e.reason === entry.reason && e.context === entry.context && e.object === entry.object &&
        e.username === entry.username && entry.time - e.time <= GROUPING_MS
      ) {
        entries.splice(i, 1);
        e.count++;
        e.time = entry.time;
        e.clientInfo = entry.clientInfo;
        entries.unshift(e);
        return;
      }
    }
    entries.unshift({ count: 1, ...entry });
    if (entries.length > maxLength) entries.length = Math.max(maxLength, 0);
  }

  reset(): void {
    this.entries = [];
  }
}

// Keyspace notifications: an event on a key becomes a message on
// `__keyspace@<db>__:<key>` (the event name as payload) and/or on
// `__keyevent@<db>__:<event>` (the key as payload), for the classes that
// notify-keyspace-events enables.

import { NOTIFY } from "../config/mod.ts";
import type { PubSub } from "./pubsub.ts";

/** Publishes keyspace events, filtered by the configured classes. */
export class KeyspaceNotifier {
  /** The notify-keyspace-events bits (NOTIFY), kept current by the server. */
  flags = 0;
  readonly #pubsub: PubSub;

  constructor(pubsub: PubSub) {
    this.#pubsub = pubsub;
  }

  /** True when events of class `type` are published at all. */
  wants(type: number): boolean {
    return (this.flags & type) !== 0 && (this.flags & (NOTIFY.KEYSPACE | NOTIFY.KEYEVENT)) !== 0;
  }

  /** Publishes one event (`type` is its NOTIFY class). */
  emit(type: number, event: string, key: string, db: number): void {
    const flags = this.flags;
    if ((flags & type) === 0) return;
    if (flags & NOTIFY.KEYSPACE) this.#pubsub.publish(`__keyspace@${db}__:${key}`, event);
    if (flags & NOTIFY.KEYEVENT) this.#pubsub.publish(`__keyevent@${db}__:${event}`, key);
  }
}

// Publish/subscribe: who listens to which channel, pattern or shard channel, and the
// delivery of messages into subscribers' reply buffers (RESP2 arrays, RESP3 pushes).
// The server decides when the buffers are sent (one flush for all clients, AOF first)
// and enforces the pubsub output buffer limit through `deliver`.

import type { ReplyWriter } from "../protocol/reply_writer.ts";
import { globMatch } from "../util/glob.ts";

/** A client's own subscriptions, in the order they were made. */
export class Subscriptions {
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  readonly shardChannels = new Set<string>();

  /** SUBSCRIBE and PSUBSCRIBE count together; shard channels count apart. */
  get count(): number {
    return this.channels.size + this.patterns.size;
  }

  get empty(): boolean {
    return this.channels.size === 0 && this.patterns.size === 0 &&
      this.shardChannels.size === 0;
  }
}

/** A client as pub/sub sees it. */
export interface Subscriber {
  readonly reply: ReplyWriter;
  /** Null until the client first subscribes. */
  subscriptions: Subscriptions | null;
}

/** Which kind of subscription a command manages. */
export type Kind = "channel" | "pattern" | "shard";

const SUBSCRIBE_WORD: Record<Kind, string> = {
  channel: "subscribe",
  pattern: "psubscribe",
  shard: "ssubscribe",
};
const UNSUBSCRIBE_WORD: Record<Kind, string> = {
  channel: "unsubscribe",
  pattern: "punsubscribe",
  shard: "sunsubscribe",
};

/** The server-wide registry of subscriptions. */
export class PubSub {
  readonly channels = new Map<string, Set<Subscriber>>();
  readonly patterns = new Map<string, Set<Subscriber>>();
  readonly shardChannels = new Map<string, Set<Subscriber>>();
  /** Called after a message was written into a subscriber's reply buffer. */
  readonly #deliver: (subscriber: Subscriber) => void;

  constructor(deliver: (subscriber: Subscriber) => void) {
    this.#deliver = deliver;
  }

  #registry(kind: Kind): Map<string, Set<Subscriber>> {
    return kind === "channel"
      ? this.channels
      : kind === "pattern"
      ? this.patterns
      : this.shardChannels;
  }

  /** SUBSCRIBE/PSUBSCRIBE/SSUBSCRIBE one name, with its confirmation. */
  subscribe(client: Subscriber, kind: Kind, name: string): void {
    const own = client.subscriptions ??= new Subscriptions();
    const mine = ownSet(own, kind);
    if (!mine.has(name)) {
      mine.add(name);
      const registry = this.#registry(kind);
      let clients = registry.get(name);
      if (clients === undefined) registry.set(name, clients = new Set());
      clients.add(client);
    }
    confirm(
      client,
      SUBSCRIBE_WORD[kind],
      name,
      kind === "shard" ? own.shardChannels.size : own.count,
    );
  }

  /**
   * UNSUBSCRIBE/PUNSUBSCRIBE/SUNSUBSCRIBE: the names given, or every one the client
   * has (a null name in the confirmation when it has none). `notify` false drops
   * them silently (RESET, disconnection).
   */
  unsubscribe(client: Subscriber, kind: Kind, names: readonly string[], notify = true): void {
    const own = client.subscriptions;
    const all = names.length === 0;
    const targets = all ? (own === null ? [] : [...ownSet(own, kind)]) : names;
    for (const name of targets) {
      if (own !== null) {
        const mine = ownSet(own, kind);
        if (mine.delete(name)) {
          const registry = this.#registry(kind);
          const clients = registry.get(name);
          if (clients !== undefined) {
            clients.delete(client);
            if (clients.size === 0) registry.delete(name);
          }
        }
      }
      if (notify) {
        const count = own === null ? 0 : kind === "shard" ? own.shardChannels.size : own.count;
        confirm(client, UNSUBSCRIBE_WORD[kind], name, count);
      }
    }
    if (all && targets.length === 0 && notify) confirm(client, UNSUBSCRIBE_WORD[kind], null, 0);
    if (own !== null && own.empty) client.subscriptions = null;
  }

  /** Drops every subscription of a client without a word (RESET, disconnection). */
  forget(client: Subscriber): void {
    if (client.subscriptions === null) return;
    this.unsubscribe(client, "channel", [], false);
    this.unsubscribe(client, "pattern", [], false);
    this.unsubscribe(client, "shard", [], false);
  }

  /** PUBLISH / SPUBLISH: the number of clients that received the message. */
  publish(channel: string, message: string, shard = false): number {
    let receivers = 0;
    const direct = (shard ? this.shardChannels : this.channels).get(channel);
    if (direct !== undefined) {
      const word = shard ? "smessage" : "message";
      for (const client of direct) {
        const reply = client.reply;
        const start = reply.length;
        reply.pushLen(3);
        reply.bulk(word);
        reply.bulk(channel);
        reply.bulk(message);
        reply.pushed(start);
        this.#deliver(client);
        receivers++;
      }
    }
    if (shard || this.patterns.size === 0) return receivers;
    for (const [pattern, clients] of this.patterns) {
      if (!globMatch(pattern, channel)) continue;
      for (const client of clients) {
        const reply = client.reply;
        const start = reply.length;
        reply.pushLen(4);
        reply.bulk("pmessage");
        reply.bulk(pattern);
        reply.bulk(channel);
        reply.bulk(message);
        reply.pushed(start);
        this.#deliver(client);
        receivers++;
      }
    }
    return receivers;
  }
}

function ownSet(own: Subscriptions, kind: Kind): Set<string> {
  return kind === "channel" ? own.channels : kind === "pattern" ? own.patterns : own.shardChannels;
}

function confirm(client: Subscriber, word: string, name: string | null, count: number): void {
  const reply = client.reply;
  const start = reply.length;
  reply.pushLen(3);
  reply.bulk(word);
  if (name === null) reply.null();
  else reply.bulk(name);
  reply.integer(count);
  // Confirmations are pushes: they go out even under CLIENT REPLY OFF.
  reply.pushed(start);
}

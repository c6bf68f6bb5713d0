// Consumer groups of a stream: each group's last delivered ID and read counter, its
// pending entries list (delivered, not yet acknowledged) and its consumers, each with
// the part of the pending list it owns.

import { IdIndex } from "./id_index.ts";
import type { StreamId } from "./stream_id.ts";

/** entries-read when the group's position in the stream can't be counted. */
export const ENTRIES_READ_UNKNOWN = -1;

/** One delivered, unacknowledged entry. */
export interface PendingEntry {
  id: StreamId;
  consumer: Consumer;
  /** Unix ms of the last delivery. */
  deliveryTime: number;
  deliveryCount: number;
}

/** A consumer of a group. */
export class Consumer {
  readonly name: string;
  /** Unix ms of the consumer's last read or claim attempt. */
  seenTime: number;
  readonly pending = new IdIndex<PendingEntry>();

  constructor(name: string, seenTime: number) {
    this.name = name;
    this.seenTime = seenTime;
  }
}

/** A consumer group. */
export class ConsumerGroup {
  readonly name: string;
  /** The last ID delivered to the group's consumers. */
  lastId: StreamId;
  /** How many entries the group has read, or ENTRIES_READ_UNKNOWN. */
  entriesRead: number;
  readonly pending = new IdIndex<PendingEntry>();
  readonly consumers = new Map<string, Consumer>();

  constructor(name: string, lastId: StreamId, entriesRead: number) {
    this.name = name;
    this.lastId = lastId;
    this.entriesRead = entriesRead;
  }

  /** The consumer named `name`, created (seen now) when missing; `created` tells. */
  consumer(name: string, now: number): { consumer: Consumer; created: boolean } {
    const found = this.consumers.get(name);
    if (found !== undefined) return { consumer: found, created: false };
    const consumer = new Consumer(name, now);
    this.consumers.set(name, consumer);
    return { consumer, created: true };
  }

  /** Consumers in name order (byte order), as Redis lists them. */
  sortedConsumers(): Consumer[] {
    return [...this.consumers.values()].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0
    );
  }

  /** Removes a consumer and its pending entries; returns how many it had. */
  deleteConsumer(name: string): number {
    const consumer = this.consumers.get(name);
    if (consumer === undefined) return 0;
    const count = consumer.pending.size;
    for (const [id] of consumer.pending.entries()) this.pending.delete(id);
    this.consumers.delete(name);
    return count;
  }

  /** Records a delivery of `id` to `consumer` (moving it from another consumer). */
  deliver(id: StreamId, consumer: Consumer, now: number, countIt: boolean): PendingEntry {
    let nack = this.pending.get(id);
    if (nack === undefined) {
      nack = { id, consumer, deliveryTime: now, deliveryCount: 1 };
      this.pending.set(id, nack);
      consumer.pending.set(id, nack);
      return nack;
    }
    if (nack.consumer !== consumer) {
      nack.consumer.pending.delete(id);
      nack.consumer = consumer;
      consumer.pending.set(id, nack);
    }
    nack.deliveryTime = now;
    if (countIt) nack.deliveryCount++;
    return nack;
  }

  /** Acknowledges `id`: false when it was not pending. */
  ack(id: StreamId): boolean {
    const nack = this.pending.get(id);
    if (nack === undefined) return false;
    this.pending.delete(id);
    nack.consumer.pending.delete(id);
    return true;
  }

  /** A deep copy (COPY). */
  clone(): ConsumerGroup {
    const copy = new ConsumerGroup(this.name, this.lastId, this.entriesRead);
    for (const consumer of this.consumers.values()) {
      copy.consumers.set(consumer.name, new Consumer(consumer.name, consumer.seenTime));
    }
    for (const [id, nack] of this.pending.entries()) {
      const owner = copy.consumers.get(nack.consumer.name)!;
      const entry = { ...nack, consumer: owner };
      copy.pending.set(id, entry);
      owner.pending.set(id, entry);
    }
    return copy;
  }
}

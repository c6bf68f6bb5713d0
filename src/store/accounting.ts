// The running total of the bytes a keyspace's keys and values take (the model in
// ./memory.ts): the dataset part of INFO's used_memory, which eviction follows.
//
// Each database counts into a Tally. A string's bytes follow from its length, so
// storing or removing one adjusts the tally at once. A collection changes in place,
// so it carries an Account: the tally it counts in and the bytes it was last measured
// for. Every collection a database stores or hands out (`get`, `peek`) is noted; once a command
// that may have written is over, the noted ones are marked stale, and stale ones are
// measured again the next time the total is read (INFO, an eviction check, the
// housekeeping tick). A hash written a thousand times between two readings is
// measured once, and reads cost nothing but the note.
//
// FLUSHDB gives the database a new tally (the old values' accounts point to the old
// one, which nobody reads any more); SWAPDB swaps tallies along with the data.

import { OBJECT_BYTES, stringBytes, TYPED_ARRAY_BYTES } from "./memory.ts";

/** A database's running total of bytes. */
export class Tally {
  bytes = 0;
  /** False once its database was emptied: nothing counts in it any more. */
  live = true;
}

/** What a stored collection carries: where it is counted, and for how much. */
export class Account {
  /** The tally it counts in; null while the value is stored nowhere. */
  tally: Tally | null = null;
  bytes = 0;
  /** Waiting to be measured again. */
  stale = false;
}

/** A collection value: every collection class has this field (null until stored). */
export interface Accountable {
  account: Account | null;
}

/** A stored value as the ledger sees it. */
export type Countable = string | Uint8Array | Accountable;

/** Measures a collection's bytes (the codecs' estimate, sampling large ones). */
export type CollectionMeter = (value: Accountable) => number;

/** One keyspace's accounting, shared by its databases. */
export class Ledger {
  /** How collections are measured (the server sets the codecs' estimate). */
  measure: CollectionMeter = () => OBJECT_BYTES;
  /**
   * The sum of the live tallies, kept alongside them (reading the total before every
   * command under maxmemory must not walk the databases). Stale collections are not
   * in it until `flush`.
   */
  total = 0;
  readonly #handedOut: (Accountable | null)[] = [];
  #handedOutCount = 0;
  readonly #stale: Accountable[] = [];

  /** Bytes `value` takes; a collection is measured and counted in `tally`. */
  charge(value: Countable, tally: Tally): number {
    if (typeof value === "string") return stringBytes(value.length);
    if (value instanceof Uint8Array) return TYPED_ARRAY_BYTES + value.buffer.byteLength;
    const bytes = this.measure(value);
    const account = value.account ??= new Account();
    account.tally = tally;
    account.bytes = bytes;
    // Often filled right after it is stored (LPUSH to a new key).
    this.handOut(value);
    return bytes;
  }

  /** Bytes `value` was counted for; a collection is marked as stored nowhere. */
  uncharge(value: Countable): number {
    if (typeof value === "string") return stringBytes(value.length);
    if (value instanceof Uint8Array) return TYPED_ARRAY_BYTES + value.buffer.byteLength;
    const account = value.account;
    if (account === null || account.tally === null) return 0;
    account.tally = null;
    return account.bytes;
  }

  /** A database handed out a value (bytes are skipped later): it may change in place. */
  handOut(value: object): void {
    this.#handedOut[this.#handedOutCount++] = value as Accountable;
  }

  /** True when values were handed out since the last `settle` or `forget`. */
  get handedOut(): boolean {
    return this.#handedOutCount !== 0;
  }

  /** After a command that may have written: the collections it was handed are stale. */
  settle(): void {
    const handed = this.#handedOut;
    for (let i = 0; i < this.#handedOutCount; i++) {
      const account = handed[i]!.account;
      if (account != null && account.tally !== null && !account.stale) {
        account.stale = true;
        this.#stale.push(handed[i]!);
      }
      handed[i] = null;
    }
    this.#emptied();
  }

  /** After a command that wrote nothing: forgets what it was handed. */
  forget(): void {
    const handed = this.#handedOut;
    for (let i = 0; i < this.#handedOutCount; i++) handed[i] = null;
    this.#emptied();
  }

  /** Measures the stale collections again, updating their tallies. */
  flush(): void {
    const stale = this.#stale;
    if (stale.length === 0) return;
    for (let i = 0; i < stale.length; i++) {
      const value = stale[i];
      const account = value.account!;
      account.stale = false;
      const tally = account.tally;
      if (tally === null || !tally.live) continue;
      const bytes = this.measure(value);
      tally.bytes += bytes - account.bytes;
      this.total += bytes - account.bytes;
      account.bytes = bytes;
    }
    stale.length = 0;
  }

  // A command that went over many collections (SCAN ... TYPE) leaves no long array.
  #emptied(): void {
    if (this.#handedOutCount > 1024) this.#handedOut.length = 0;
    this.#handedOutCount = 0;
  }
}

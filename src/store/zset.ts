// The sorted set type (being written): members ordered by score, then by bytes.

/** A zset value. */
export class SortedSetValue {
  readonly type = "zset";

  /** OBJECT ENCODING's answer. */
  get encoding(): string {
    return "";
  }

  /** A copy sharing nothing mutable (COPY). */
  clone(): SortedSetValue {
    return new SortedSetValue();
  }
}

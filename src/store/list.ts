// The list type (being written): an ordered sequence of one-byte strings.

/** A list value. */
export class ListValue {
  readonly type = "list";

  /** OBJECT ENCODING's answer. */
  get encoding(): string {
    return "";
  }

  /** A copy sharing nothing mutable (COPY). */
  clone(): ListValue {
    return new ListValue();
  }
}

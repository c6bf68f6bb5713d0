// A Web Streams wrapper of the request decoder, for file replay (AOF) and tools.
// The socket path does not use it: plain reads into the decoder's buffer are faster.

import { type DecoderOptions, RequestDecoder } from "./decoder.ts";

/** Turns a byte stream into a stream of requests (arrays of one-byte strings). */
export class RequestDecoderStream extends TransformStream<Uint8Array, string[]> {
  /** The decoder underneath, e.g. to ask how many bytes are left unparsed. */
  readonly decoder: RequestDecoder;

  constructor(options: DecoderOptions = {}) {
    const decoder = new RequestDecoder(options);
    super({
      transform(chunk, controller) {
        decoder.push(chunk);
        let argv: string[] | null;
        while ((argv = decoder.next()) !== null) controller.enqueue(argv);
      },
    });
    this.decoder = decoder;
  }
}

// A Web Streams wrapper of the request decoder, for tools and tests. The socket path
// and the AOF loader do not use it: plain reads into the decoder's buffer are faster.

import { type DecoderOptions, RequestDecoder } from "./decoder.ts";

/** One decoded request and where it starts in the stream. */
export interface DecodedRequest {
  /** The arguments, as one-byte strings. */
  argv: string[];
  /** Stream offset of the request's first byte. */
  offset: number;
  /**
   * An argument was too long for a JS string and is an empty placeholder: the request
   * must be refused (see RequestDecoder.oversized).
   */
  oversized: boolean;
}

/**
 * Turns a byte stream into batches of requests: one batch for each chunk that completes
 * any, as a promise per request would slow a big file's replay several times.
 *
 * Bad input errors the stream with the decoder's ProtocolError (its `offset` says
 * where), once the requests before it have been delivered. When the input ends in the
 * middle of a request, nothing is reported: `decoder.incomplete` is then true and
 * `decoder.consumed` is the offset where the cut request starts.
 */
export class RequestDecoderStream extends TransformStream<Uint8Array, DecodedRequest[]> {
  /** The decoder underneath, to ask how the input ended. */
  readonly decoder: RequestDecoder;

  constructor(options: DecoderOptions = {}) {
    const decoder = new RequestDecoder(options);
    super({
      transform(chunk, controller) {
        decoder.push(chunk);
        const batch: DecodedRequest[] = [];
        try {
          let argv: string[] | null;
          while ((argv = decoder.next()) !== null) {
            batch.push({ argv, offset: decoder.start, oversized: decoder.oversized });
          }
        } finally {
          // On an error too: the readable side's high-water mark is 0, so the transform
          // runs only while a read waits, and this batch reaches it before the error.
          if (batch.length > 0) controller.enqueue(batch);
        }
      },
    });
    this.decoder = decoder;
  }
}

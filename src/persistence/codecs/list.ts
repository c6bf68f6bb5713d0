// The list type's forms: RDB LIST_QUICKLIST_2 (listpack nodes filled as Redis fills
// them, interior nodes LZF-compressed under list-compress-depth), and on load also
// the plain LIST, ZIPLIST and first QUICKLIST encodings; RPUSH in an AOF rewrite; an
// array of byte strings, head to tail, in JSON Lines.

import { ListValue } from "../../store/list.ts";
import { arrayBytes, capacityFor, OBJECT_BYTES, scaled, stringBytes } from "../../store/memory.ts";
import { jsonTexts, toJsonText } from "../json_text.ts";
import { decodeListpack, ListpackBuilder } from "../listpack.ts";
import {
  type ByteWriter,
  latin1,
  QUICKLIST_NODE_PACKED,
  QUICKLIST_NODE_PLAIN,
  TYPE_LIST,
  TYPE_LIST_QUICKLIST,
  TYPE_LIST_QUICKLIST_2,
  TYPE_LIST_ZIPLIST,
  writeBlob,
  writeCompressedNode,
  writeString,
} from "../rdb_format.ts";
import { mixDigest } from "../digest_fold.ts";
import { decodeZiplist } from "../ziplist.ts";
import {
  failIntegrity,
  readBlob,
  rewriteBatches,
  type ValueCodec,
  type WriteOptions,
} from "./codec.ts";

// Node size limits for list-max-listpack-size -1 .. -5.
const NODE_SIZE_LIMITS = [4096, 8192, 16384, 32768, 65536];
// A node that grows by count (positive fill) still stops at this many bytes.
const NODE_SAFETY_LIMIT = 8192;
// Elements this large get a node of their own, stored plain (quicklist's default).
const PACKED_THRESHOLD = 1 << 30;
// What Redis adds to an element's length when estimating a node's growth.
const SIZE_ESTIMATE_OVERHEAD = 8;

/** Lists: decoded, the elements head to tail. */
export const listCodec: ValueCodec<ListValue, string[]> = {
  type: "list",
  size: (list) => list.length,

  rdbTypes: [TYPE_LIST, TYPE_LIST_ZIPLIST, TYPE_LIST_QUICKLIST, TYPE_LIST_QUICKLIST_2],
  rdbType: () => TYPE_LIST_QUICKLIST_2,
  writeRdb(w, list, options) {
    writeQuicklist(w, list, options);
  },
  readRdb(r, type) {
    if (type === TYPE_LIST) {
      const n = r.count(1);
      const items = new Array<string>(n);
      for (let i = 0; i < n; i++) items[i] = r.string();
      return items;
    }
    if (type === TYPE_LIST_ZIPLIST) {
      const [blob, at] = readBlob(r);
      return decodeZiplist(blob, at, "List ziplist");
    }
    const nodes = r.count(2);
    const items: string[] = [];
    for (let i = 0; i < nodes; i++) {
      let container = QUICKLIST_NODE_PACKED;
      if (type === TYPE_LIST_QUICKLIST_2) {
        const at = r.pos;
        container = r.length();
        if (container !== QUICKLIST_NODE_PACKED && container !== QUICKLIST_NODE_PLAIN) {
          failIntegrity("Quicklist", `invalid node container ${container}`, r.base + at);
        }
      }
      const [blob, at] = readBlob(r);
      // Redis never writes an empty node, not even a plain one (an element that large).
      if (blob.length === 0) failIntegrity("Quicklist", "empty node", at);
      if (container === QUICKLIST_NODE_PLAIN) {
        items.push(latin1(blob));
        continue;
      }
      const decoded = type === TYPE_LIST_QUICKLIST_2
        ? decodeListpack(blob, at, "Listpack")
        : decodeZiplist(blob, at, "Ziplist");
      // Redis drops empty nodes silently.
      for (const item of decoded) items.push(item);
    }
    return items;
  },
  decodedSize: (items) => items.length,
  build: (items) => ListValue.from(items),

  rewrite: (key, list) => rewriteBatches(["RPUSH", key], list, 1),

  toJson: (list) => list.toArray().map(toJsonText),
  fromJson: (json, fail) => jsonTexts(json, "list", "elements", fail),

  digestType: 1,
  digest(list, digest) {
    for (const item of list) mixDigest(digest, item);
  },
  memory(list, samples) {
    const size = list.length;
    const count = Math.min(size, samples);
    let total = 0;
    for (let i = 0; i < count; i++) total += stringBytes(list.at(i).length);
    return OBJECT_BYTES + arrayBytes(capacityFor(size)) + scaled(total, count, size);
  },
};

// Quicklist nodes filled the way Redis fills them when the elements are pushed at the
// tail one by one: a node takes one more element while its estimated size stays
// within the limit.
function writeQuicklist(w: ByteWriter, items: Iterable<string>, options: WriteOptions): void {
  const fill = options.listMaxListpackSize ?? -2;
  const sizeLimit = fill < 0 ? NODE_SIZE_LIMITS[Math.min(-fill - 1, 4)] : Infinity;
  const countLimit = fill < 0 ? Infinity : fill === 0 ? 1 : fill;
  const nodes: { plain: boolean; blob: Uint8Array | string }[] = [];
  let node: ListpackBuilder | null = null;
  for (const item of items) {
    const sz = item.length;
    if (sz >= PACKED_THRESHOLD) {
      if (node !== null) nodes.push({ plain: false, blob: node.finish() });
      node = null;
      nodes.push({ plain: true, blob: item });
      continue;
    }
    if (node !== null) {
      const newSize = node.size + sz + SIZE_ESTIMATE_OVERHEAD;
      const fits = fill < 0
        ? newSize <= sizeLimit
        : newSize <= NODE_SAFETY_LIMIT && node.count + 1 <= countLimit;
      if (!fits) {
        nodes.push({ plain: false, blob: node.finish() });
        node = null;
      }
    }
    node ??= new ListpackBuilder();
    node.append(item);
  }
  if (node !== null) nodes.push({ plain: false, blob: node.finish() });
  w.length(nodes.length);
  const depth = options.listCompressDepth ?? 0;
  const interior = depth > 0 && nodes.length > 2 * depth;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    w.length(n.plain ? QUICKLIST_NODE_PLAIN : QUICKLIST_NODE_PACKED);
    if (typeof n.blob === "string") {
      writeString(w, n.blob, options.compress);
    } else if (
      !(interior && i >= depth && i < nodes.length - depth && writeCompressedNode(w, n.blob))
    ) {
      writeBlob(w, n.blob, options.compress);
    }
  }
}

// Geospatial commands: GEOADD, GEODIST, GEOHASH, GEOPOS, GEOSEARCH, GEOSEARCHSTORE and
// the older GEORADIUS, GEORADIUSBYMEMBER and their _RO forms. A geo set is a sorted set
// whose scores are 52-bit geohashes (the math is in store/geohash.ts), so GEOADD is a
// ZADD with computed scores, and the sorted set commands work on geo sets.

import { NOTIFY } from "../config/mod.ts";
import { ERR_NOT_FLOAT, ERR_NOT_INTEGER, ERR_SYNTAX } from "../protocol/errors.ts";
import {
  boxesToScan,
  decodeScore,
  decodeScoreInto,
  distance,
  GEO_LAT_MAX,
  GEO_LAT_MIN,
  GEO_LONG_MAX,
  GEO_LONG_MIN,
  type GeoHashBits,
  geohashScore,
  type GeoShape,
  scoreRangeOf,
  searchAreas,
  ShapeMatcher,
  standardGeohash,
} from "../store/geohash.ts";
import { scoreLteMax, type ScoreRange, SortedSetValue } from "../store/zset.ts";
import { parseInt64 } from "../util/int64.ts";
import { partialSort } from "../util/partial_sort.ts";
import type { ArgDoc, CommandSpec, KeySpec, Session } from "./context.ts";
import { isWord } from "./_parse.ts";
import { limits } from "./_sorted_set.ts";
import { readTyped } from "./_lookup.ts";
import { parseDouble } from "./_zset_args.ts";
import { zadd } from "./sorted_set.ts";
import { familySpec, type KeyAt, keyAt } from "./table.ts";

const ERR_UNIT = "ERR unsupported unit provided. please use M, KM, FT, MI";
const ERR_RADIUS = "ERR need numeric radius";
const ERR_RADIUS_NEGATIVE = "ERR radius cannot be negative";
const ERR_WIDTH = "ERR need numeric width";
const ERR_HEIGHT = "ERR need numeric height";
const ERR_BOX_NEGATIVE = "ERR height or width cannot be negative";
const ERR_COUNT = "ERR COUNT must be > 0";
const ERR_MEMBER = "ERR could not decode requested zset member";
const ERR_ANY = "ERR the ANY argument requires COUNT argument";

function errInvalidPair(lon: number, lat: number): string {
  return `ERR invalid longitude,latitude pair ${formatFixed(lon, 6)},${formatFixed(lat, 6)}`;
}

function errStoreWith(geosearchstore: boolean): string {
  const what = geosearchstore ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS";
  return `ERR ${what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`;
}

function errExactlyOne(what: string, command: string): string {
  return `ERR exactly one of ${what} can be specified for ${command}`;
}

// ---------------------------------------------------------------------------------
// Number formatting: C's printf("%.Nf") of a double, correctly rounded (ties to even)

const bits = new DataView(new ArrayBuffer(8));

/** A double as printf's `%.<digits>f` prints it: the exact value, rounded. */
function formatFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return "-nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  const negative = x < 0 || Object.is(x, -0);
  bits.setFloat64(0, Math.abs(x));
  const hi = bits.getUint32(0), lo = bits.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exponent = -1074;
  if (biased !== 0) {
    mantissa |= 1n << 52n;
    exponent = biased - 1075;
  }
  const scale = 10n ** BigInt(digits);
  let q: bigint;
  if (exponent >= 0) {
    q = (mantissa << BigInt(exponent)) * scale;
  } else {
    const k = BigInt(-exponent);
    const scaled = mantissa * scale;
    q = scaled >> k;
    const rest = scaled - (q << k);
    const half = 1n << (k - 1n);
    if (rest > half || (rest === half && (q & 1n) === 1n)) q++;
  }
  const text = q.toString().padStart(digits + 1, "0");
  const whole = text.slice(0, text.length - digits);
  const sign = negative ? "-" : "";
  return digits === 0 ? sign + whole : `${sign}${whole}.${text.slice(text.length - digits)}`;
}

/** A coordinate as Redis prints it: `%.17Lf`, trailing zeros and '.' trimmed, no "-0". */
function formatCoordinate(x: number): string {
  const text = formatFixed(x, 17);
  let end = text.length;
  while (text.charCodeAt(end - 1) === 48) end--;
  if (text.charCodeAt(end - 1) === 46) end--;
  const trimmed = text.slice(0, end);
  return trimmed === "-0" ? "0" : trimmed;
}

/** A distance as Redis prints it: a bulk string with four decimals. */
function replyDistance(s: Session, d: number): void {
  s.reply.bulk(formatFixed(d, 4));
}

function replyPoint(s: Session, lon: number, lat: number): void {
  s.reply.arrayLen(2);
  s.reply.doubleText(formatCoordinate(lon));
  s.reply.doubleText(formatCoordinate(lat));
}

// ---------------------------------------------------------------------------------
// Arguments

// A double as Redis reads it (getDoubleFromObject), or null after replying `error`.
function doubleOrReply(s: Session, text: string, error = ERR_NOT_FLOAT): number | null {
  const value = parseDouble(text);
  if (value === null) s.reply.error(error);
  return value;
}

/** Where lonLatOrReply puts the point it read: longitude, latitude. */
const LON_LAT = new Float64Array(2);

/**
 * Longitude and latitude at argv[at] and argv[at + 1], checked against the geo limits
 * and left in LON_LAT; false after replying an error.
 */
function lonLatOrReply(s: Session, argv: string[], at: number): boolean {
  const lon = doubleOrReply(s, argv[at]);
  if (lon === null) return false;
  const lat = doubleOrReply(s, argv[at + 1]);
  if (lat === null) return false;
  if (lon < GEO_LONG_MIN || lon > GEO_LONG_MAX || lat < GEO_LAT_MIN || lat > GEO_LAT_MAX) {
    s.reply.error(errInvalidPair(lon, lat));
    return false;
  }
  LON_LAT[0] = lon;
  LON_LAT[1] = lat;
  return true;
}

/** Meters per unit (m, km, ft, mi, any letter case), or null after replying. */
function unitOrReply(s: Session, text: string): number | null {
  const unit = text.toLowerCase();
  if (unit === "m") return 1;
  if (unit === "km") return 1000;
  if (unit === "ft") return 0.3048;
  if (unit === "mi") return 1609.34;
  s.reply.error(ERR_UNIT);
  return null;
}

/** `radius unit` at argv[at]. */
function radiusOrReply(
  s: Session,
  argv: string[],
  at: number,
): { radius: number; conversion: number } | null {
  const radius = doubleOrReply(s, argv[at], ERR_RADIUS);
  if (radius === null) return null;
  if (radius < 0) {
    s.reply.error(ERR_RADIUS_NEGATIVE);
    return null;
  }
  const conversion = unitOrReply(s, argv[at + 1]);
  return conversion === null ? null : { radius, conversion };
}

/** `width height unit` at argv[at]. */
function boxOrReply(
  s: Session,
  argv: string[],
  at: number,
): { width: number; height: number; conversion: number } | null {
  const width = doubleOrReply(s, argv[at], ERR_WIDTH);
  if (width === null) return null;
  const height = doubleOrReply(s, argv[at + 1], ERR_HEIGHT);
  if (height === null) return null;
  if (height < 0 || width < 0) {
    s.reply.error(ERR_BOX_NEGATIVE);
    return null;
  }
  const conversion = unitOrReply(s, argv[at + 2]);
  return conversion === null ? null : { width, height, conversion };
}

/** The point a member of a geo set stands for, or null when it is not there. */
function memberPoint(zset: SortedSetValue, member: string): [number, number] | null {
  const score = zset.score(member);
  return score === undefined ? null : decodeScore(score);
}

// ---------------------------------------------------------------------------------
// GEOADD, GEODIST, GEOHASH, GEOPOS

/**
 * GEOADD key [NX|XX] [CH] longitude latitude member [...]: every point is checked,
 * then the call becomes a ZADD of the points' geohashes (run, replied and propagated
 * as a ZADD, as in Redis).
 */
function geoadd(s: Session, argv: string[]): void {
  let nx = false, xx = false;
  let at = 2;
  for (; at < argv.length; at++) {
    if (isWord(argv[at], "nx")) nx = true;
    else if (isWord(argv[at], "xx")) xx = true;
    else if (!isWord(argv[at], "ch")) break;
  }
  if ((argv.length - at) % 3 !== 0 || (xx && nx)) {
    s.reply.error(ERR_SYNTAX);
    return;
  }
  const points = (argv.length - at) / 3;
  const zaddArgv: string[] = new Array(at + 2 * points);
  zaddArgv[0] = "zadd";
  for (let i = 1; i < at; i++) zaddArgv[i] = argv[i];
  // The scores go as numbers: ZADD prints them into its argv only if it propagates.
  const scores: number[] = new Array(points);
  for (let p = 0; p < points; p++) {
    const i = at + 3 * p;
    if (!lonLatOrReply(s, argv, i)) return;
    scores[p] = geohashScore(LON_LAT[0], LON_LAT[1]);
    zaddArgv[at + 2 * p] = "";
    zaddArgv[at + 2 * p + 1] = argv[i + 2];
  }
  zadd(s, zaddArgv, scores);
}

/** GEODIST key member1 member2 [M|KM|FT|MI]: nil when either member is missing. */
function geodist(s: Session, argv: string[]): void {
  let toMeters = 1;
  if (argv.length === 5) {
    const unit = unitOrReply(s, argv[4]);
    if (unit === null) return;
    toMeters = unit;
  } else if (argv.length > 5) {
    s.reply.error(ERR_SYNTAX);
    return;
  }
  const zset = readTyped(s, argv[1], SortedSetValue);
  if (zset === null) return;
  const a = zset === undefined ? null : memberPoint(zset, argv[2]);
  const b = a === null ? null : memberPoint(zset!, argv[3]);
  if (a === null || b === null) {
    s.reply.null();
    return;
  }
  replyDistance(s, distance(a[0], a[1], b[0], b[1]) / toMeters);
}

/** GEOHASH key [member ...]: standard 11-character geohashes, nil for missing members. */
function geohash(s: Session, argv: string[]): void {
  const zset = readTyped(s, argv[1], SortedSetValue);
  if (zset === null) return;
  s.reply.arrayLen(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const score = zset?.score(argv[i]);
    if (score === undefined) s.reply.null();
    else s.reply.bulk(standardGeohash(score));
  }
}

/** GEOPOS key [member ...]: [longitude, latitude] pairs, a nil array for missing members. */
function geopos(s: Session, argv: string[]): void {
  const zset = readTyped(s, argv[1], SortedSetValue);
  if (zset === null) return;
  s.reply.arrayLen(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const point = zset === undefined ? null : memberPoint(zset, argv[i]);
    if (point === null) s.reply.nullArray();
    else replyPoint(s, point[0], point[1]);
  }
}

// ---------------------------------------------------------------------------------
// Searching

/** One match: the member, its point, its distance from the center and its score. */
interface GeoPoint {
  member: string;
  lon: number;
  lat: number;
  dist: number;
  score: number;
}

/**
 * Appends the members of one geohash box that fall inside the shape, in score order;
 * stops once `limit` matches are collected (0: no limit).
 */
function membersOfBox(
  zset: SortedSetValue,
  box: GeoHashBits,
  matcher: ShapeMatcher,
  out: GeoPoint[],
  limit: number,
): void {
  const { min, max } = scoreRangeOf(box);
  const range: ScoreRange = { min, max, minExclusive: false, maxExclusive: true };
  const rank = zset.firstInScoreRange(range);
  if (rank < 0) return;
  const point = DECODED;
  zset.walk(rank, false, (member, score) => {
    if (!scoreLteMax(score, range)) return false;
    decodeScoreInto(score, point);
    const dist = matcher.distanceTo(point.lon, point.lat);
    if (dist >= 0) out.push({ member, lon: point.lon, lat: point.lat, dist, score });
    return !(out.length > 0 && limit > 0 && out.length >= limit);
  });
}

// The point each candidate decodes into before it is kept or given up.
const DECODED = { lon: 0, lat: 0 };

/** Every member inside the shape, box by box (at most `limit` of them when not 0). */
function searchShape(zset: SortedSetValue, shape: GeoShape, limit: number): GeoPoint[] {
  const out: GeoPoint[] = [];
  const matcher = new ShapeMatcher(shape);
  for (const box of boxesToScan(searchAreas(shape))) {
    if (out.length > 0 && limit > 0 && out.length >= limit) break;
    membersOfBox(zset, box, matcher, out, limit);
  }
  return out;
}

// The candidates of `nearestInCircle`, reused from search to search: member, score,
// point, the lower bound on its distance and, once computed, the distance itself
// (NaN before); and a max-heap of upper bounds.
const NEAR = {
  members: [] as string[],
  scores: new Float64Array(256),
  lons: new Float64Array(256),
  lats: new Float64Array(256),
  lows: new Float64Array(256),
  dists: new Float64Array(256),
  heap: new Float64Array(16),
};

function resizeNear(size: number): void {
  const resize = (a: Float64Array) => {
    const b = new Float64Array(size);
    if (size > a.length) b.set(a);
    return b;
  };
  NEAR.scores = resize(NEAR.scores);
  NEAR.lons = resize(NEAR.lons);
  NEAR.lats = resize(NEAR.lats);
  NEAR.lows = resize(NEAR.lows);
  NEAR.dists = resize(NEAR.dists);
}

/** The most members `nearestInCircle` looks for; beyond, the plain search is as good. */
const NEAREST_MAX = 1024;
/** Candidate buffers larger than this are let go after a search. */
const NEAR_KEEP = 1 << 16;

/**
 * A circle search for its `count` nearest members (ASC COUNT without ANY): either
 * those members, nearest first, as the full search (every candidate's distance, then
 * Redis's partial sort) would answer them, or, when that cannot be told apart, every
 * member inside in the order the full search finds them, for the caller to sort. Null
 * for other shapes and large counts (the full search then runs).
 *
 * Only the nearest members matter, so each candidate first gets cheap bounds on its
 * distance (ShapeMatcher.bound). With T the count-th smallest upper bound among the
 * candidates surely inside, the answer is among the candidates whose lower bound is at
 * most T: the others are strictly farther than T, and count members are within it.
 * Those few get their exact distance. Ties decide which members the partial sort keeps
 * and in what order, so when two of the first count + 1 distances are equal, or fewer
 * than count members are surely inside, every candidate gets its distance instead.
 */
function nearestInCircle(zset: SortedSetValue, shape: GeoShape, count: number): GeoPoint[] | null {
  if (shape.kind !== "radius" || count > NEAREST_MAX) return null;
  const matcher = new ShapeMatcher(shape);
  const radius = matcher.radius;
  if (NEAR.heap.length < count) NEAR.heap = new Float64Array(count);
  const heap = NEAR.heap;
  const members = NEAR.members;
  let n = 0, inside = 0;
  const point = DECODED;
  for (const box of boxesToScan(searchAreas(shape))) {
    const { min, max } = scoreRangeOf(box);
    const range: ScoreRange = { min, max, minExclusive: false, maxExclusive: true };
    const rank = zset.firstInScoreRange(range);
    if (rank < 0) continue;
    zset.walk(rank, false, (member, score) => {
      if (!scoreLteMax(score, range)) return false;
      decodeScoreInto(score, point);
      matcher.bound(point.lon, point.lat);
      const low = matcher.low, high = matcher.high;
      if (low > radius) return true; // surely outside
      if (n === NEAR.lows.length) resizeNear(n * 2);
      members[n] = member;
      NEAR.scores[n] = score;
      NEAR.lons[n] = point.lon;
      NEAR.lats[n] = point.lat;
      NEAR.lows[n] = low;
      NEAR.dists[n] = NaN;
      n++;
      // The count smallest upper bounds of the members surely inside, largest on top.
      if (high <= radius) {
        if (inside < count) heapPush(heap, inside++, high);
        else if (high < heap[0]) heapReplaceTop(heap, count, high);
      }
      return true;
    });
  }
  let found: GeoPoint[] | null = null;
  if (inside === count) {
    const threshold = heap[0];
    const near: GeoPoint[] = [];
    for (let i = 0; i < n; i++) {
      if (NEAR.lows[i] > threshold) continue;
      const lon = NEAR.lons[i], lat = NEAR.lats[i];
      const dist = NEAR.dists[i] = matcher.distanceTo(lon, lat);
      if (dist >= 0) near.push({ member: members[i], lon, lat, dist, score: NEAR.scores[i] });
    }
    near.sort(byDistance);
    // At least count are there (count were surely inside); the first count + 1 differ.
    let distinct = near.length >= count;
    for (let i = 0; distinct && i < count && i + 1 < near.length; i++) {
      distinct = near[i].dist < near[i + 1].dist;
    }
    if (distinct) {
      near.length = count;
      found = near;
    }
  }
  if (found === null) {
    // Every candidate, in the order the walk met them (the full search's order).
    found = [];
    for (let i = 0; i < n; i++) {
      const lon = NEAR.lons[i], lat = NEAR.lats[i];
      let dist = NEAR.dists[i];
      if (Number.isNaN(dist)) dist = matcher.distanceTo(lon, lat);
      if (dist >= 0) found.push({ member: members[i], lon, lat, dist, score: NEAR.scores[i] });
    }
  }
  members.length = 0;
  if (NEAR.lows.length > NEAR_KEEP) resizeNear(256);
  return found;
}

// A max-heap of the first `size` entries of `heap`.
function heapPush(heap: Float64Array, size: number, value: number): void {
  let i = size;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent] >= value) break;
    heap[i] = heap[parent];
    i = parent;
  }
  heap[i] = value;
}

function heapReplaceTop(heap: Float64Array, size: number, value: number): void {
  let i = 0;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= size) break;
    const right = left + 1;
    const child = right < size && heap[right] > heap[left] ? right : left;
    if (heap[child] <= value) break;
    heap[i] = heap[child];
    i = child;
  }
  heap[i] = value;
}

function byDistance(a: GeoPoint, b: GeoPoint): number {
  return a.dist > b.dist ? 1 : a.dist === b.dist ? 0 : -1;
}

function byDistanceDesc(a: GeoPoint, b: GeoPoint): number {
  return -byDistance(a, b);
}

/** Which GEORADIUS-style command runs; decides the arguments it takes. */
interface SearchKind {
  /** GEORADIUS (center from coordinates) or GEORADIUSBYMEMBER (from a member). */
  radius?: "coords" | "member";
  /** GEOSEARCH or GEOSEARCHSTORE. */
  search?: boolean;
  /** GEOSEARCHSTORE: the destination is argv[1], STOREDIST is accepted. */
  searchStore?: boolean;
  /** The _RO forms: no STORE or STOREDIST. */
  noStore?: boolean;
}

/**
 * GEOSEARCH, GEOSEARCHSTORE, GEORADIUS, GEORADIUSBYMEMBER and the _RO forms: parse the
 * center and shape (fixed arguments for the GEORADIUS forms, FROM... and BY...
 * options for GEOSEARCH), then the options, then search and reply or store.
 */
function searchGeneric(s: Session, argv: string[], srcAt: number, kind: SearchKind): void {
  const zset = readTyped(s, argv[srcAt], SortedSetValue);
  if (zset === null) return;

  let base: number;
  let lon = 0, lat = 0;
  let shape: { radius: number; conversion: number } | {
    width: number;
    height: number;
    conversion: number;
  } | null = null;
  let storeKey: string | null = null;
  if (kind.radius === "coords") {
    base = 6;
    if (!lonLatOrReply(s, argv, 2)) return;
    lon = LON_LAT[0];
    lat = LON_LAT[1];
    shape = radiusOrReply(s, argv, 4);
    if (shape === null) return;
  } else if (kind.radius === "member") {
    base = 5;
    // Without a source key, the options are still parsed (to choose the reply).
    if (zset !== undefined) {
      const point = memberPoint(zset, argv[2]);
      if (point === null) {
        s.reply.error(ERR_MEMBER);
        return;
      }
      [lon, lat] = point;
      shape = radiusOrReply(s, argv, 3);
      if (shape === null) return;
    }
  } else {
    base = kind.searchStore ? 3 : 2;
    if (kind.searchStore) storeKey = argv[1];
  }

  let withDist = false, withHash = false, withCoord = false;
  let fromMember = false, fromLonLat = false, byRadius = false, byBox = false;
  let sort: "none" | "asc" | "desc" = "none";
  let any = false;
  let count = 0;
  let storeDist = false;
  const remaining = argv.length - base;
  for (let i = 0; i < remaining; i++) {
    const at = base + i;
    const arg = argv[at];
    if (isWord(arg, "withdist")) withDist = true;
    else if (isWord(arg, "withhash")) withHash = true;
    else if (isWord(arg, "withcoord")) withCoord = true;
    else if (isWord(arg, "any")) any = true;
    else if (isWord(arg, "asc")) sort = "asc";
    else if (isWord(arg, "desc")) sort = "desc";
    else if (isWord(arg, "count") && i + 1 < remaining) {
      const n = parseInt64(argv[at + 1]);
      if (n === null) {
        s.reply.error(ERR_NOT_INTEGER);
        return;
      }
      if (n <= 0n) {
        s.reply.error(ERR_COUNT);
        return;
      }
      count = Number(n);
      i++;
    } else if (
      (isWord(arg, "store") || isWord(arg, "storedist")) && i + 1 < remaining &&
      !kind.noStore && !kind.search
    ) {
      storeKey = argv[at + 1];
      storeDist = isWord(arg, "storedist");
      i++;
    } else if (isWord(arg, "storedist") && kind.search && kind.searchStore) {
      storeDist = true;
    } else if (isWord(arg, "frommember") && i + 1 < remaining && kind.search && !fromLonLat) {
      if (zset !== undefined) {
        const point = memberPoint(zset, argv[at + 1]);
        if (point === null) {
          s.reply.error(ERR_MEMBER);
          return;
        }
        [lon, lat] = point;
      }
      fromMember = true;
      i++;
    } else if (isWord(arg, "fromlonlat") && i + 2 < remaining && kind.search && !fromMember) {
      if (!lonLatOrReply(s, argv, at + 1)) return;
      lon = LON_LAT[0];
      lat = LON_LAT[1];
      fromLonLat = true;
      i += 2;
    } else if (isWord(arg, "byradius") && i + 2 < remaining && kind.search && !byBox) {
      shape = radiusOrReply(s, argv, at + 1);
      if (shape === null) return;
      byRadius = true;
      i += 2;
    } else if (isWord(arg, "bybox") && i + 3 < remaining && kind.search && !byRadius) {
      shape = boxOrReply(s, argv, at + 1);
      if (shape === null) return;
      byBox = true;
      i += 3;
    } else {
      s.reply.error(ERR_SYNTAX);
      return;
    }
  }

  if (storeKey !== null && (withDist || withHash || withCoord)) {
    s.reply.error(errStoreWith(kind.searchStore === true));
    return;
  }
  if (kind.search && !(fromMember || fromLonLat)) {
    s.reply.error(errExactlyOne("FROMMEMBER or FROMLONLAT", argv[0]));
    return;
  }
  if (kind.search && !(byRadius || byBox)) {
    s.reply.error(errExactlyOne("BYRADIUS and BYBOX", argv[0]));
    return;
  }
  if (any && count === 0) {
    s.reply.error(ERR_ANY);
    return;
  }

  if (zset === undefined || shape === null) {
    if (storeKey !== null) {
      deleteStoreKey(s, storeKey);
      s.reply.integer(0);
    } else {
      s.reply.arrayLen(0);
    }
    return;
  }

  // COUNT without an order takes the nearest ones (unless ANY: the first found).
  if (count !== 0 && sort === "none" && !any) sort = "asc";
  const geoShape: GeoShape = "radius" in shape
    ? { kind: "radius", lon, lat, conversion: shape.conversion, radius: shape.radius }
    : {
      kind: "box",
      lon,
      lat,
      conversion: shape.conversion,
      width: shape.width,
      height: shape.height,
    };
  // The nearest few, when they can be found without every distance; else all of them
  // (what nearestInCircle answers is sorted below just the same).
  const nearest = sort === "asc" && count !== 0 && !any
    ? nearestInCircle(zset, geoShape, count)
    : null;
  const found = nearest ?? searchShape(zset, geoShape, any ? count : 0);
  if (found.length === 0 && storeKey === null) {
    s.reply.arrayLen(0);
    return;
  }
  const returned = count === 0 || found.length < count ? found.length : count;
  if (sort !== "none") {
    const compare = sort === "asc" ? byDistance : byDistanceDesc;
    if (returned === found.length) found.sort(compare);
    else partialSort(found, compare, 0, returned - 1);
  }
  const conversion = geoShape.conversion;

  if (storeKey === null) {
    const options = (withDist ? 1 : 0) + (withHash ? 1 : 0) + (withCoord ? 1 : 0);
    s.reply.arrayLen(returned);
    for (let i = 0; i < returned; i++) {
      const point = found[i];
      if (options > 0) s.reply.arrayLen(options + 1);
      s.reply.bulk(point.member);
      if (withDist) replyDistance(s, point.dist / conversion);
      if (withHash) s.reply.integer(scoreAsInt64(point.score));
      if (withCoord) replyPoint(s, point.lon, point.lat);
    }
    return;
  }

  const entries: [string, number][] = [];
  for (let i = 0; i < returned; i++) {
    const point = found[i];
    entries.push([point.member, storeDist ? point.dist / conversion : point.score]);
  }
  if (returned > 0) {
    s.db.set(storeKey, SortedSetValue.fromEntries(entries, limits(s)));
    s.keyChanged(storeKey);
    s.notify(NOTIFY.ZSET, kind.search ? "geosearchstore" : "georadiusstore", storeKey);
    s.server.dirty += returned;
  } else {
    deleteStoreKey(s, storeKey);
  }
  s.reply.integer(returned);
}

// An empty result deletes the destination.
function deleteStoreKey(s: Session, key: string): void {
  if (!s.db.delete(key)) return;
  s.keyChanged(key);
  s.notify(NOTIFY.GENERIC, "del", key);
  s.server.dirty++;
}

/** A score as C's `(long long)score` (WITHHASH): out of range gives LLONG_MIN. */
function scoreAsInt64(score: number): number | bigint {
  if (Number.isSafeInteger(score)) return score;
  if (score >= -9223372036854775808 && score < 9223372036854775808) {
    return BigInt(Math.trunc(score));
  }
  return -9223372036854775808n;
}

/** GEOSEARCH key FROMMEMBER m|FROMLONLAT lon lat BYRADIUS r unit|BYBOX w h unit [...] */
function geosearch(s: Session, argv: string[]): void {
  searchGeneric(s, argv, 1, { search: true });
}

/** GEOSEARCHSTORE destination source ... [STOREDIST] */
function geosearchstore(s: Session, argv: string[]): void {
  searchGeneric(s, argv, 2, { search: true, searchStore: true });
}

/** GEORADIUS key longitude latitude radius unit [...] [STORE key] [STOREDIST key] */
function georadius(s: Session, argv: string[]): void {
  searchGeneric(s, argv, 1, { radius: "coords" });
}

/** GEORADIUSBYMEMBER key member radius unit [...] [STORE key] [STOREDIST key] */
function georadiusbymember(s: Session, argv: string[]): void {
  searchGeneric(s, argv, 1, { radius: "member" });
}

function georadiusRo(s: Session, argv: string[]): void {
  searchGeneric(s, argv, 1, { radius: "coords", noStore: true });
}

function georadiusbymemberRo(s: Session, argv: string[]): void {
  searchGeneric(s, argv, 1, { radius: "member", noStore: true });
}

// ---------------------------------------------------------------------------------
// The command table

/**
 * The keys of a GEORADIUS or GEORADIUSBYMEMBER call, as Redis's key specs find them:
 * the source, then the key after the first STORE, then the one after the first
 * STOREDIST, each keyword searched from `from` up to the next-to-last argument.
 */
function radiusKeys(from: number): (argv: readonly string[]) => KeyAt[] {
  return (argv) => {
    const keys: KeyAt[] = [{ index: 1, flags: ["RO", "access"] }];
    for (const keyword of ["store", "storedist"]) {
      for (let i = from; i < argv.length - 1; i++) {
        if (isWord(argv[i], keyword)) {
          keys.push({ index: i + 1, flags: ["OW", "update"] });
          break;
        }
      }
    }
    return keys;
  };
}

function storeKeySpec(keyword: string, startFrom: number): KeySpec {
  return {
    flags: ["OW", "update"],
    begin: { keyword, startFrom },
    find: { range: { lastKey: 0, step: 1, limit: 0 } },
  };
}

const KEY: ArgDoc = { name: "key", type: "key", keySpecIndex: 0 };
const MEMBER: ArgDoc = { name: "member", type: "string" };
const LONGITUDE: ArgDoc = { name: "longitude", type: "double" };
const LATITUDE: ArgDoc = { name: "latitude", type: "double" };
const UNIT: ArgDoc = {
  name: "unit",
  type: "oneof",
  arguments: ["M", "KM", "FT", "MI"].map((token) => ({
    name: token.toLowerCase(),
    type: "pure-token" as const,
    token,
  })),
};
const WITH_OPTIONS: ArgDoc[] = ["WITHCOORD", "WITHDIST", "WITHHASH"].map((token) => ({
  name: token.toLowerCase(),
  type: "pure-token" as const,
  token,
  optional: true,
}));
const COUNT: ArgDoc = {
  name: "count",
  type: "block",
  optional: true,
  arguments: [
    { name: "count", type: "integer", token: "COUNT" },
    { name: "any", type: "pure-token", token: "ANY", optional: true },
  ],
};
const ORDER: ArgDoc = {
  name: "order",
  type: "oneof",
  optional: true,
  arguments: [
    { name: "asc", type: "pure-token", token: "ASC" },
    { name: "desc", type: "pure-token", token: "DESC" },
  ],
};
const STORE_KEYS: ArgDoc[] = [
  { name: "key", type: "key", keySpecIndex: 1, token: "STORE", optional: true },
  { name: "key", type: "key", keySpecIndex: 2, token: "STOREDIST", optional: true },
];
const FROM: ArgDoc = {
  name: "from",
  type: "oneof",
  arguments: [
    { name: "member", type: "string", token: "FROMMEMBER" },
    {
      name: "longitude_latitude",
      type: "block",
      token: "FROMLONLAT",
      arguments: [LONGITUDE, LATITUDE],
    },
  ],
};
const BY: ArgDoc = {
  name: "by",
  type: "oneof",
  arguments: [
    {
      name: "circle",
      type: "block",
      arguments: [{ name: "radius", type: "double", token: "BYRADIUS" }, UNIT],
    },
    {
      name: "box",
      type: "block",
      arguments: [
        { name: "width", type: "double", token: "BYBOX" },
        { name: "height", type: "double" },
        UNIT,
      ],
    },
  ],
};
const RADIUS_ARGS: ArgDoc[] = [
  { name: "radius", type: "double" },
  UNIT,
  ...WITH_OPTIONS,
  COUNT,
  ORDER,
];
const SEARCH_OPTIONS: ArgDoc[] = [ORDER, COUNT, ...WITH_OPTIONS];

const RADIUS_COMPLEXITY = "O(N + log(M)) for N members in the boxes around the circle and M " +
  "members in the set";
const SEARCH_COMPLEXITY = "O(N + log(M)) for N members in the boxes around the shape and M " +
  "members in the set";

/** A geo command's record, taking its key as the first argument by default. */
const spec = familySpec("geo", ["geo"]);

/** The geospatial commands. */
export const geoCommands: CommandSpec[] = [
  spec({
    name: "geoadd",
    arity: -5,
    flags: ["write", "denyoom"],
    // A ZADD of each member (which Redis flags fast): logarithmic work per member.
    timedWhenSlow: true,
    keySpecs: [keyAt(1, ["RW", "update"])],
    summary: "Adds points (longitude, latitude, member) to a geo set, or moves them; answers " +
      "how many were added (or changed, with CH).",
    since: "3.2.0",
    complexity: "O(log N) per point",
    args: [
      KEY,
      {
        name: "condition",
        type: "oneof",
        optional: true,
        arguments: [
          { name: "nx", type: "pure-token", token: "NX" },
          { name: "xx", type: "pure-token", token: "XX" },
        ],
      },
      { name: "change", type: "pure-token", token: "CH", optional: true },
      {
        name: "longitude_latitude_member",
        type: "block",
        multiple: true,
        arguments: [LONGITUDE, LATITUDE, MEMBER],
      },
    ],
    handler: geoadd,
  }),
  spec({
    name: "geodist",
    arity: -4,
    flags: ["readonly"],
    keySpecs: [keyAt(1, ["RO", "access"])],
    summary: "Answers the distance between two members of a geo set, in meters or a unit.",
    since: "3.2.0",
    complexity: "O(log N)",
    args: [
      KEY,
      { name: "member1", type: "string" },
      { name: "member2", type: "string" },
      { ...UNIT, optional: true },
    ],
    handler: geodist,
  }),
  spec({
    name: "geohash",
    arity: -2,
    flags: ["readonly"],
    keySpecs: [keyAt(1, ["RO", "access"])],
    summary: "Answers members' positions as standard geohash strings.",
    since: "3.2.0",
    complexity: "O(log N) per member",
    args: [KEY, { ...MEMBER, multiple: true }],
    handler: geohash,
  }),
  spec({
    name: "geopos",
    arity: -2,
    flags: ["readonly"],
    keySpecs: [keyAt(1, ["RO", "access"])],
    summary: "Answers members' longitudes and latitudes.",
    since: "3.2.0",
    complexity: "O(log N) per member",
    args: [KEY, { ...MEMBER, multiple: true }],
    handler: geopos,
  }),
  spec({
    name: "georadius",
    arity: -6,
    flags: ["write", "denyoom"],
    keySpecs: [keyAt(1, ["RO", "access"]), storeKeySpec("STORE", 6), storeKeySpec("STOREDIST", 6)],
    getKeys: radiusKeys(6),
    summary: "Answers (or stores) the members within a radius of a point; GEOSEARCH does " +
      "the same and more.",
    since: "3.2.0",
    complexity: RADIUS_COMPLEXITY,
    args: [KEY, LONGITUDE, LATITUDE, ...RADIUS_ARGS, ...STORE_KEYS],
    handler: georadius,
  }),
  spec({
    name: "georadiusbymember",
    arity: -5,
    flags: ["write", "denyoom"],
    keySpecs: [keyAt(1, ["RO", "access"]), storeKeySpec("STORE", 5), storeKeySpec("STOREDIST", 5)],
    getKeys: radiusKeys(5),
    summary: "Answers (or stores) the members within a radius of a member; GEOSEARCH does " +
      "the same and more.",
    since: "3.2.0",
    complexity: RADIUS_COMPLEXITY,
    args: [KEY, MEMBER, ...RADIUS_ARGS, ...STORE_KEYS],
    handler: georadiusbymember,
  }),
  spec({
    name: "georadius_ro",
    arity: -6,
    flags: ["readonly"],
    keySpecs: [keyAt(1, ["RO", "access"])],
    summary: "GEORADIUS without STORE, for read-only contexts.",
    since: "3.2.10",
    complexity: RADIUS_COMPLEXITY,
    args: [KEY, LONGITUDE, LATITUDE, ...RADIUS_ARGS],
    handler: georadiusRo,
  }),
  spec({
    name: "georadiusbymember_ro",
    arity: -5,
    flags: ["readonly"],
    keySpecs: [keyAt(1, ["RO", "access"])],
    summary: "GEORADIUSBYMEMBER without STORE, for read-only contexts.",
    since: "3.2.10",
    complexity: RADIUS_COMPLEXITY,
    args: [KEY, MEMBER, ...RADIUS_ARGS],
    handler: georadiusbymemberRo,
  }),
  spec({
    name: "geosearch",
    arity: -7,
    flags: ["readonly"],
    keySpecs: [keyAt(1, ["RO", "access"])],
    summary: "Answers the members of a geo set inside a circle or a box around a member or " +
      "a point, optionally sorted, counted and with distances, hashes and coordinates.",
    since: "6.2.0",
    complexity: SEARCH_COMPLEXITY,
    args: [KEY, FROM, BY, ...SEARCH_OPTIONS],
    handler: geosearch,
  }),
  spec({
    name: "geosearchstore",
    arity: -8,
    flags: ["write", "denyoom"],
    keySpecs: [keyAt(1, ["OW", "update"]), keyAt(2, ["RO", "access"])],
    lastKey: 2,
    summary: "Stores what GEOSEARCH finds at another key (scores: geohashes, or distances " +
      "with STOREDIST); answers how many members were stored.",
    since: "6.2.0",
    complexity: SEARCH_COMPLEXITY,
    args: [
      { name: "destination", type: "key", keySpecIndex: 0 },
      { name: "source", type: "key", keySpecIndex: 1 },
      FROM,
      BY,
      ORDER,
      COUNT,
      { name: "storedist", type: "pure-token", token: "STOREDIST", optional: true },
    ],
    handler: geosearchstore,
  }),
];

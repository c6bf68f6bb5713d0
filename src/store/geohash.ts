// Geohash math for the geo commands: a point's 52-bit score (26 bits of longitude and
// 26 of latitude, interleaved), the area a score stands for, the 3x3 block of geohash
// boxes that covers a search, and distances on a sphere of Redis's Earth radius.
//
// Every step is done in the same order and with the same IEEE double operations as
// Redis, so that a search visits the same boxes, keeps the same points and computes
// the same distances: results, COUNT ANY, and the digits printed all depend on it.
// Hash bits are 64-bit unsigned values (bigint where they wrap or shift past 2^53).

/** Bits per coordinate in a stored score (52 bits in all). */
export const GEO_STEP_MAX = 26;
/** The latitudes a geo set can hold (the limits of Web Mercator). */
export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;
export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;
/** Redis's Earth radius, in meters. */
export const EARTH_RADIUS_IN_METERS = 6372797.560856;

// Half the Earth's circumference in Web Mercator meters: sizes the search boxes.
const MERCATOR_MAX = 20037726.37;
const D_R = Math.PI / 180;

const TWO_32 = 4294967296;
const MASK64 = (1n << 64n) - 1n;
const ODD_BITS = 0xaaaaaaaaaaaaaaaan;
const EVEN_BITS = 0x5555555555555555n;

/** A geohash of `step` bits per coordinate: latitude bits even, longitude bits odd. */
export interface GeoHashBits {
  bits: bigint;
  step: number;
}

/** An interval of one coordinate. */
export interface GeoRange {
  min: number;
  max: number;
}

/** The rectangle a geohash stands for. */
export interface GeoArea {
  longitude: GeoRange;
  latitude: GeoRange;
}

/** A point: longitude, then latitude (as Redis orders them). */
export type LonLat = [number, number];

/** What a search looks for: a circle (radius) or a box (width and height), in `unit`s. */
export type GeoShape =
  & { lon: number; lat: number; conversion: number }
  & ({ kind: "radius"; radius: number } | { kind: "box"; width: number; height: number });

/** The boxes that cover a search: the center's, then its eight neighbours (some zeroed). */
export interface GeoSearchArea {
  hash: GeoHashBits;
  area: GeoArea;
  /** north, south, east, west, north-east, north-west, south-east, south-west. */
  neighbors: GeoHashBits[];
}

/** The whole range of each coordinate in the stored form. */
const LONG_RANGE: GeoRange = { min: GEO_LONG_MIN, max: GEO_LONG_MAX };
const LAT_RANGE: GeoRange = { min: GEO_LAT_MIN, max: GEO_LAT_MAX };
/** The standard geohash ranges (GEOHASH's strings). */
const STANDARD_LAT_RANGE: GeoRange = { min: -90, max: 90 };

export function degToRad(degrees: number): number {
  return degrees * D_R;
}

export function radToDeg(radians: number): number {
  return radians / D_R;
}

// ---------------------------------------------------------------------------------
// Bit interleaving

// The low 16 bits of x spread to the even bits of a 32-bit value.
function spread16(x: number): number {
  x &= 0xffff;
  x = (x | (x << 8)) & 0x00ff00ff;
  x = (x | (x << 4)) & 0x0f0f0f0f;
  x = (x | (x << 2)) & 0x33333333;
  x = (x | (x << 1)) & 0x55555555;
  return x;
}

// The even bits of a 32-bit value gathered into 16 bits.
function squash32(x: number): number {
  x &= 0x55555555;
  x = (x | (x >>> 1)) & 0x33333333;
  x = (x | (x >>> 2)) & 0x0f0f0f0f;
  x = (x | (x >>> 4)) & 0x00ff00ff;
  x = (x | (x >>> 8)) & 0x0000ffff;
  return x;
}

/** Two 32-bit values interleaved: `lat` in the even bits, `lon` in the odd ones. */
function interleave(lat: number, lon: number): { hi: number; lo: number } {
  const lo = (spread16(lat) | (spread16(lon) << 1)) >>> 0;
  const hi = (spread16(lat >>> 16) | (spread16(lon >>> 16) << 1)) >>> 0;
  return { hi, lo };
}

/** A 64-bit value given as two 32-bit halves, split back into latitude and longitude. */
function deinterleave(hi: number, lo: number): { lat: number; lon: number } {
  return {
    lat: squash32(lo) + squash32(hi) * 65536,
    lon: squash32(lo >>> 1) + squash32(hi >>> 1) * 65536,
  };
}

function halves(bits: bigint): { hi: number; lo: number } {
  return { hi: Number((bits >> 32n) & 0xffffffffn), lo: Number(bits & 0xffffffffn) };
}

/**
 * C's `(uint64_t)score` as x86-64 computes it: truncation for values that fit, 0 for
 * values from 2^64 up, and 2^63 for values below -2^63 (a negative value that fits
 * wraps around as two's complement).
 */
function uint64Halves(score: number): { hi: number; lo: number } {
  if (score >= 0 && score < 9007199254740992) {
    const n = Math.trunc(score);
    const hi = Math.floor(n / TWO_32);
    return { hi, lo: n - hi * TWO_32 };
  }
  if (score >= 18446744073709551616) return { hi: 0, lo: 0 };
  if (!(score >= -9223372036854775808)) return { hi: 0x80000000, lo: 0 };
  return halves(BigInt(Math.trunc(score)) & MASK64);
}

// ---------------------------------------------------------------------------------
// Encoding and decoding

/**
 * The geohash of a point at `step` bits per coordinate within the given ranges, or null
 * when the point is outside the geo limits or the ranges.
 */
function encode(
  longRange: GeoRange,
  latRange: GeoRange,
  lon: number,
  lat: number,
  step: number,
): GeoHashBits | null {
  const halves = encodeHalves(longRange, latRange, lon, lat, step);
  if (halves === null) return null;
  return { bits: (BigInt(halves.hi) << 32n) | BigInt(halves.lo), step };
}

// `encode`'s bits as two 32-bit halves (no bigint: GEOADD's hot path).
function encodeHalves(
  longRange: GeoRange,
  latRange: GeoRange,
  lon: number,
  lat: number,
  step: number,
): { hi: number; lo: number } | null {
  if (lon > GEO_LONG_MAX || lon < GEO_LONG_MIN || lat > GEO_LAT_MAX || lat < GEO_LAT_MIN) {
    return null;
  }
  if (lat < latRange.min || lat > latRange.max || lon < longRange.min || lon > longRange.max) {
    return null;
  }
  let latOffset = (lat - latRange.min) / (latRange.max - latRange.min);
  let lonOffset = (lon - longRange.min) / (longRange.max - longRange.min);
  latOffset *= 2 ** step;
  lonOffset *= 2 ** step;
  // C converts the offsets to uint32_t (truncation); at the top edge an offset is
  // 2^step itself, one bit past the step, which Redis keeps.
  return interleave(Math.trunc(latOffset) >>> 0, Math.trunc(lonOffset) >>> 0);
}

/** The geohash of a point in the stored form (step 26 gives a score), or null out of range. */
export function encodeWGS84(lon: number, lat: number, step = GEO_STEP_MAX): GeoHashBits | null {
  return encode(LONG_RANGE, LAT_RANGE, lon, lat, step);
}

/**
 * The score GEOADD stores for a valid point: the 52-bit geohash as a double (the top
 * edge's extra bit makes it larger, and the double then rounds it, as in Redis).
 */
export function geohashScore(lon: number, lat: number): number {
  const halves = encodeHalves(LONG_RANGE, LAT_RANGE, lon, lat, GEO_STEP_MAX);
  // One rounding of the exact sum, as Number() of the 64-bit value would round it.
  return halves === null ? 0 : halves.hi * TWO_32 + halves.lo;
}

// The rectangle of a hash given as latitude and longitude indexes at `step`.
function areaOf(latIndex: number, lonIndex: number, step: number): GeoArea {
  const latScale = LAT_RANGE.max - LAT_RANGE.min;
  const longScale = LONG_RANGE.max - LONG_RANGE.min;
  const cells = 2 ** step;
  // The index is a uint32_t in C, so index + 1 wraps to 0 at the top.
  const latNext = (latIndex + 1) >>> 0;
  const lonNext = (lonIndex + 1) >>> 0;
  return {
    latitude: {
      min: LAT_RANGE.min + (latIndex / cells) * latScale,
      max: LAT_RANGE.min + (latNext / cells) * latScale,
    },
    longitude: {
      min: LONG_RANGE.min + (lonIndex / cells) * longScale,
      max: LONG_RANGE.min + (lonNext / cells) * longScale,
    },
  };
}

/** The rectangle a geohash stands for. */
export function decodeArea(hash: GeoHashBits): GeoArea {
  const { hi, lo } = halves(hash.bits);
  const { lat, lon } = deinterleave(hi, lo);
  return areaOf(lat, lon, hash.step);
}

// The center of an area, kept inside the geo limits.
function centerOf(area: GeoArea): LonLat {
  let lon = (area.longitude.min + area.longitude.max) / 2;
  if (lon > GEO_LONG_MAX) lon = GEO_LONG_MAX;
  if (lon < GEO_LONG_MIN) lon = GEO_LONG_MIN;
  let lat = (area.latitude.min + area.latitude.max) / 2;
  if (lat > GEO_LAT_MAX) lat = GEO_LAT_MAX;
  if (lat < GEO_LAT_MIN) lat = GEO_LAT_MIN;
  return [lon, lat];
}

/** A point being decoded into, reused from point to point by searches. */
export interface MutablePoint {
  lon: number;
  lat: number;
}

// Box sizes of the stored step (26 bits per coordinate).
const LAT_SCALE = GEO_LAT_MAX - GEO_LAT_MIN;
const LONG_SCALE = GEO_LONG_MAX - GEO_LONG_MIN;
const CELLS = 2 ** GEO_STEP_MAX;

/**
 * Decodes a score into `out` without allocating: the same operations as
 * `decodeScore` (areaOf, then centerOf), for the search loop.
 */
export function decodeScoreInto(score: number, out: MutablePoint): void {
  let hi: number, lo: number;
  if (score >= 0 && score < 9007199254740992) {
    const n = Math.trunc(score);
    hi = Math.floor(n / TWO_32);
    lo = n - hi * TWO_32; // exact, and no fmod as `%` on doubles would be
  } else {
    ({ hi, lo } = uint64Halves(score));
  }
  const latIndex = squash32(lo) + squash32(hi) * 65536;
  const lonIndex = squash32(lo >>> 1) + squash32(hi >>> 1) * 65536;
  const latMin = GEO_LAT_MIN + (latIndex / CELLS) * LAT_SCALE;
  const latMax = GEO_LAT_MIN + (((latIndex + 1) >>> 0) / CELLS) * LAT_SCALE;
  const lonMin = GEO_LONG_MIN + (lonIndex / CELLS) * LONG_SCALE;
  const lonMax = GEO_LONG_MIN + (((lonIndex + 1) >>> 0) / CELLS) * LONG_SCALE;
  let lon = (lonMin + lonMax) / 2;
  if (lon > GEO_LONG_MAX) lon = GEO_LONG_MAX;
  if (lon < GEO_LONG_MIN) lon = GEO_LONG_MIN;
  let lat = (latMin + latMax) / 2;
  if (lat > GEO_LAT_MAX) lat = GEO_LAT_MAX;
  if (lat < GEO_LAT_MIN) lat = GEO_LAT_MIN;
  out.lon = lon;
  out.lat = lat;
}

/**
 * The point a score stands for (the center of its step-26 box), as GEOPOS answers it.
 * Any score decodes: Redis first turns it into a 64-bit unsigned integer.
 */
export function decodeScore(score: number): LonLat {
  const { hi, lo } = uint64Halves(score);
  const { lat, lon } = deinterleave(hi, lo);
  return centerOf(areaOf(lat, lon, GEO_STEP_MAX));
}

const BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz";

/**
 * The standard 11-character geohash of a score (GEOHASH): the point re-encoded with
 * latitudes from -90 to 90; the 11th character stands for bits Redis does not have.
 */
export function standardGeohash(score: number): string {
  const [lon, lat] = decodeScore(score);
  const hash = encode(LONG_RANGE, STANDARD_LAT_RANGE, lon, lat, GEO_STEP_MAX);
  const bits = hash?.bits ?? 0n;
  let out = "";
  for (let i = 0; i < 10; i++) out += BASE32[Number((bits >> BigInt(52 - (i + 1) * 5)) & 0x1fn)];
  return out + "0";
}

// ---------------------------------------------------------------------------------
// Neighbours

// Moves a hash one box east (d > 0) or west (d < 0), wrapping around the antimeridian.
function moveX(hash: GeoHashBits, d: number): GeoHashBits {
  if (d === 0) return hash;
  let x = hash.bits & ODD_BITS;
  const y = hash.bits & EVEN_BITS;
  const shift = BigInt(64 - hash.step * 2);
  const zz = EVEN_BITS >> shift;
  if (d > 0) x = (x + zz + 1n) & MASK64;
  else x = ((x | zz) - (zz + 1n)) & MASK64;
  x &= ODD_BITS >> shift;
  return { bits: x | y, step: hash.step };
}

// Moves a hash one box north (d > 0) or south (d < 0), wrapping from pole to pole.
function moveY(hash: GeoHashBits, d: number): GeoHashBits {
  if (d === 0) return hash;
  const x = hash.bits & ODD_BITS;
  let y = hash.bits & EVEN_BITS;
  const shift = BigInt(64 - hash.step * 2);
  const zz = ODD_BITS >> shift;
  if (d > 0) y = (y + zz + 1n) & MASK64;
  else y = ((y | zz) - (zz + 1n)) & MASK64;
  y &= EVEN_BITS >> shift;
  return { bits: x | y, step: hash.step };
}

/** The eight neighbours: north, south, east, west, north-east, north-west, south-east, south-west. */
export function neighborsOf(hash: GeoHashBits): GeoHashBits[] {
  const move = (dx: number, dy: number) => moveY(moveX(hash, dx), dy);
  return [
    move(0, 1),
    move(0, -1),
    move(1, 0),
    move(-1, 0),
    move(1, 1),
    move(-1, 1),
    move(1, -1),
    move(-1, -1),
  ];
}

const NORTH = 0, SOUTH = 1, EAST = 2, WEST = 3;
const NORTH_EAST = 4, NORTH_WEST = 5, SOUTH_EAST = 6, SOUTH_WEST = 7;
const ZERO: GeoHashBits = { bits: 0n, step: 0 };

/** True for a neighbour dropped from the search (Redis's zeroed hash). */
export function isZeroHash(hash: GeoHashBits): boolean {
  return hash.bits === 0n && hash.step === 0;
}

// ---------------------------------------------------------------------------------
// Search areas

/**
 * How many bits per coordinate give boxes about as large as `meters` at latitude
 * `lat`: coarser towards the poles, between 1 and 26.
 */
export function estimateSteps(meters: number, lat: number): number {
  if (meters === 0) return 26;
  let step = 1;
  while (meters < MERCATOR_MAX) {
    meters *= 2;
    step++;
  }
  step -= 2;
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return step;
}

/** The longitude and latitude bounds of a shape: [min lon, min lat, max lon, max lat]. */
export function boundingBox(shape: GeoShape): [number, number, number, number] {
  const { lon, lat, conversion } = shape;
  const height = conversion * (shape.kind === "radius" ? shape.radius : shape.height / 2);
  const width = conversion * (shape.kind === "radius" ? shape.radius : shape.width / 2);
  const latDelta = radToDeg(height / EARTH_RADIUS_IN_METERS);
  const longDeltaTop = radToDeg(
    width / EARTH_RADIUS_IN_METERS / Math.cos(degToRad(lat + latDelta)),
  );
  const longDeltaBottom = radToDeg(
    width / EARTH_RADIUS_IN_METERS / Math.cos(degToRad(lat - latDelta)),
  );
  // The widest edge is the one nearer the pole: the top one north of the equator.
  const southern = lat < 0;
  return [
    southern ? lon - longDeltaBottom : lon - longDeltaTop,
    lat - latDelta,
    southern ? lon + longDeltaBottom : lon + longDeltaTop,
    lat + latDelta,
  ];
}

/**
 * The boxes a search looks in: the box holding the center, sized after the shape,
 * and those of its neighbours that can hold matches (the others zeroed).
 */
export function searchAreas(shape: GeoShape): GeoSearchArea {
  const [minLon, minLat, maxLon, maxLat] = boundingBox(shape);
  const { lon, lat } = shape;
  let meters = shape.kind === "radius"
    ? shape.radius
    : Math.sqrt((shape.width / 2) * (shape.width / 2) + (shape.height / 2) * (shape.height / 2));
  meters *= shape.conversion;

  let steps = estimateSteps(meters, lat);
  let hash = encodeWGS84(lon, lat, steps) ?? { bits: 0n, step: steps };
  let neighbors = neighborsOf(hash);
  let area = decodeArea(hash);

  // Near a box edge the estimated boxes may be too small for the neighbours to cover
  // the whole shape: then one step coarser.
  const north = decodeArea(neighbors[NORTH]);
  const south = decodeArea(neighbors[SOUTH]);
  const east = decodeArea(neighbors[EAST]);
  const west = decodeArea(neighbors[WEST]);
  const tooSmall = north.latitude.max < maxLat || south.latitude.min > minLat ||
    east.longitude.max < maxLon || west.longitude.min > minLon;
  if (steps > 1 && tooSmall) {
    steps--;
    hash = encodeWGS84(lon, lat, steps) ?? { bits: 0n, step: steps };
    neighbors = neighborsOf(hash);
    area = decodeArea(hash);
  }

  // Neighbours on a side the shape does not reach are left out.
  if (steps >= 2) {
    const drop = (...which: number[]) => {
      for (const i of which) neighbors[i] = ZERO;
    };
    if (area.latitude.min < minLat) drop(SOUTH, SOUTH_WEST, SOUTH_EAST);
    if (area.latitude.max > maxLat) drop(NORTH, NORTH_EAST, NORTH_WEST);
    if (area.longitude.min < minLon) drop(WEST, SOUTH_WEST, NORTH_WEST);
    if (area.longitude.max > maxLon) drop(EAST, SOUTH_EAST, NORTH_EAST);
  }
  return { hash, area, neighbors };
}

/** The scores inside a box: from `min` (included) to `max` (excluded). */
export function scoreRangeOf(hash: GeoHashBits): { min: number; max: number } {
  const shift = BigInt(52 - hash.step * 2);
  const min = (hash.bits << shift) & MASK64;
  const max = ((hash.bits + 1n) << shift) & MASK64;
  return { min: Number(min), max: Number(max) };
}

/**
 * The boxes to scan, in Redis's order (center, N, S, E, W, NE, NW, SE, SW), without
 * zeroed ones and without a box equal to the one scanned just before it.
 */
export function boxesToScan(search: GeoSearchArea): GeoHashBits[] {
  const all = [search.hash, ...search.neighbors];
  const out: GeoHashBits[] = [];
  let last = 0;
  for (let i = 0; i < all.length; i++) {
    const box = all[i];
    if (isZeroHash(box)) continue;
    // As in Redis, the comparison is skipped while the last box scanned is the center.
    if (last !== 0 && box.bits === all[last].bits && box.step === all[last].step) continue;
    out.push(box);
    last = i;
  }
  return out;
}

// ---------------------------------------------------------------------------------
// Distances

/** The distance between two latitudes along a meridian, in meters. */
export function latDistance(lat1: number, lat2: number): number {
  return EARTH_RADIUS_IN_METERS * Math.abs(degToRad(lat2) - degToRad(lat1));
}

/** The great-circle distance between two points (haversine), in meters. */
export function distance(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const lon1r = degToRad(lon1);
  const lon2r = degToRad(lon2);
  const v = Math.sin((lon2r - lon1r) / 2);
  // Same meridian: no need for the full formula.
  if (v === 0) return latDistance(lat1, lat2);
  const lat1r = degToRad(lat1);
  const lat2r = degToRad(lat2);
  const u = Math.sin((lat2r - lat1r) / 2);
  const a = u * u + Math.cos(lat1r) * Math.cos(lat2r) * v * v;
  return 2.0 * EARTH_RADIUS_IN_METERS * Math.asin(Math.sqrt(a));
}

/**
 * The distance in meters from the shape's center to a point, or null when the point is
 * outside the shape (a box is tested by latitude distance, then by longitude distance
 * along the point's parallel).
 */
export function distanceIfInShape(shape: GeoShape, lon: number, lat: number): number | null {
  if (shape.kind === "radius") {
    const d = distance(shape.lon, shape.lat, lon, lat);
    return d > shape.radius * shape.conversion ? null : d;
  }
  const width = shape.width * shape.conversion;
  const height = shape.height * shape.conversion;
  if (latDistance(lat, shape.lat) > height / 2) return null;
  if (distance(lon, lat, shape.lon, lat) > width / 2) return null;
  return distance(shape.lon, shape.lat, lon, lat);
}

/**
 * `distanceIfInShape` for one shape and many points (a search's loop): what depends
 * only on the center is computed once, and points are given up as early as it is safe.
 * Every distance it answers is the one `distance` computes, to the bit.
 */
export class ShapeMatcher {
  readonly #shape: GeoShape;
  readonly #lonR: number;
  readonly #latR: number;
  readonly #cosLat: number;
  readonly #sinLat: number;
  /** The radius in meters (a circle; 0 for a box). */
  readonly radius: number;
  readonly #halfHeight: number;
  readonly #halfWidth: number;
  /**
   * No point farther from the center's latitude than this (in meters along a meridian)
   * is inside: the great-circle distance is never shorter than the latitude distance,
   * and the margin dwarfs the rounding of either computation.
   */
  readonly #latLimit: number;
  /** What `bound` found: the distance `distanceTo` computes is within low..high. */
  low = 0;
  high = 0;

  constructor(shape: GeoShape) {
    this.#shape = shape;
    this.#lonR = degToRad(shape.lon);
    this.#latR = degToRad(shape.lat);
    this.#cosLat = Math.cos(this.#latR);
    this.#sinLat = Math.sin(this.#latR);
    if (shape.kind === "radius") {
      this.radius = shape.radius * shape.conversion;
      this.#halfHeight = this.#halfWidth = 0;
      this.#latLimit = this.radius * (1 + 1e-9);
    } else {
      this.radius = 0;
      this.#halfHeight = (shape.height * shape.conversion) / 2;
      this.#halfWidth = (shape.width * shape.conversion) / 2;
      this.#latLimit = Infinity;
    }
  }

  /** The distance from the center to the point in meters, or -1 when it is outside. */
  distanceTo(lon: number, lat: number): number {
    const shape = this.#shape;
    if (shape.kind === "radius") {
      const latR = degToRad(lat);
      if (EARTH_RADIUS_IN_METERS * Math.abs(latR - this.#latR) > this.#latLimit) return -1;
      const d = this.#fromCenter(lon, latR);
      return d > this.radius ? -1 : d;
    }
    if (latDistance(lat, shape.lat) > this.#halfHeight) return -1;
    if (distance(lon, lat, shape.lon, lat) > this.#halfWidth) return -1;
    return this.#fromCenter(lon, degToRad(lat));
  }

  /**
   * Bounds, into `low` and `high`, the distance from the center to a point (what
   * `distanceTo` would compute before comparing it with the shape) without its
   * trigonometry. Near the center, where the half-angle differences are at most
   * 0.1 radians, the haversine formula is evaluated with short Taylor series (sin to
   * x^5; cos(lat2) as cos(lat1 + d) to d^4 and d^5; asin to z^7): the truncation
   * costs at most ~1e-6 of the distance (most of it from cos(lat2), which is at least
   * 0.086 below 85.06 degrees), the libm functions and the rounding ~1e-15, and the
   * bounds are +-1e-5. Farther (or on the center's meridian, where `distance` takes
   * another path) the exact distance is computed and low === high.
   */
  bound(lon: number, lat: number): void {
    const lat2r = degToRad(lat);
    const x = (degToRad(lon) - this.#lonR) / 2;
    const y = (lat2r - this.#latR) / 2;
    const ax = Math.abs(x), ay = Math.abs(y);
    if (!(ax <= SERIES_LIMIT && ay <= SERIES_LIMIT && ax > 1e-150)) {
      this.low = this.high = this.#fromCenter(lon, lat2r);
      return;
    }
    const x2 = x * x, y2 = y * y;
    const v = x * (1 - x2 * (1 / 6 - x2 * (1 / 120)));
    const u = y * (1 - y2 * (1 / 6 - y2 * (1 / 120)));
    const d = 2 * y, d2 = d * d;
    const cosD = 1 - d2 * (1 / 2 - d2 * (1 / 24));
    const sinD = d * (1 - d2 * (1 / 6 - d2 * (1 / 120)));
    const cosLat2 = this.#cosLat * cosD - this.#sinLat * sinD;
    const z = Math.sqrt(u * u + this.#cosLat * cosLat2 * v * v);
    const z2 = z * z;
    const dist = 2 * EARTH_RADIUS_IN_METERS * z *
      (1 + z2 * (1 / 6 + z2 * (3 / 40 + z2 * (5 / 112))));
    this.low = dist * (1 - 1e-5);
    this.high = dist * (1 + 1e-5);
  }

  // distance(center lon, center lat, lon, lat) with the center's terms precomputed.
  #fromCenter(lon: number, lat2r: number): number {
    const v = Math.sin((degToRad(lon) - this.#lonR) / 2);
    if (v === 0) return EARTH_RADIUS_IN_METERS * Math.abs(lat2r - this.#latR);
    const u = Math.sin((lat2r - this.#latR) / 2);
    const a = u * u + this.#cosLat * Math.cos(lat2r) * v * v;
    return 2.0 * EARTH_RADIUS_IN_METERS * Math.asin(Math.sqrt(a));
  }
}

/** The largest half-angle difference (radians) `ShapeMatcher.bound` uses its series for. */
const SERIES_LIMIT = 0.1;

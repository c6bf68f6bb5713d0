// Unit tests of the geohash math: scores and positions Redis 7.0.15 gave for known
// points (the map's edges and scores that are not geohashes included), standard
// geohash strings, neighbour boxes wrapping around the antimeridian and the poles,
// step estimates, the boxes a search scans, and distances (the search loop's matcher
// and its cheap bounds included).

import assert from "node:assert/strict";
import {
  boxesToScan,
  decodeArea,
  decodeScore,
  decodeScoreInto,
  distance,
  distanceIfInShape,
  EARTH_RADIUS_IN_METERS,
  encodeWGS84,
  estimateSteps,
  GEO_LAT_MAX,
  GEO_LAT_MIN,
  geohashScore,
  type GeoShape,
  isZeroHash,
  latDistance,
  neighborsOf,
  scoreRangeOf,
  searchAreas,
  ShapeMatcher,
  standardGeohash,
} from "../../src/store/geohash.ts";
import { rng } from "../_random.ts";

Deno.test("points encode to the scores Redis stores for them", () => {
  assert.equal(geohashScore(13.361389, 38.115556), 3479099956230698);
  assert.equal(geohashScore(15.087269, 37.502669), 3479447370796909);
  assert.equal(geohashScore(-5.6, 42.6), 2157242200379188);
  assert.equal(geohashScore(-74.0131604, 40.7126674), 1791873972053020);
  assert.equal(geohashScore(-73.7858139, 40.6428986), 1791895905559723);
  assert.equal(geohashScore(-180, -85.05112878), 0);
  assert.equal(geohashScore(0, 0), 3377699720527872);
});

Deno.test("the map's top and right edges encode one bit past 52, as in Redis", () => {
  assert.equal(geohashScore(180, 85.05112878), 13510798882111488);
  assert.equal(geohashScore(180, 0), 10133099161583616);
  assert.equal(geohashScore(179.99999999, 85.051128779), 4503599627370495);
});

Deno.test("points outside the map do not encode", () => {
  assert.equal(encodeWGS84(180.0000001, 0), null);
  assert.equal(encodeWGS84(0, 85.05112879), null);
  assert.equal(encodeWGS84(0, -85.051128781), null);
  assert.equal(encodeWGS84(Infinity, 0), null);
});

Deno.test("scores decode to the center of their box, as GEOPOS prints it", () => {
  assert.deepEqual(decodeScore(3479099956230698), [13.36138933897018433, 38.11555639549629859]);
  assert.deepEqual(decodeScore(3479447370796909), [15.08726745843887329, 37.50266842333162032]);
  assert.deepEqual(decodeScore(0), [-179.99999731779098511, -85.05112751263942528]);
  // Past the edge, the center is clamped to the map.
  assert.deepEqual(decodeScore(13510798882111488), [180, GEO_LAT_MAX]);
});

Deno.test("scores that are not geohashes decode the way C's uint64 conversion reads them", () => {
  // A negative score wraps around (all bits set): the top corner, clamped.
  assert.deepEqual(decodeScore(-5), [180, GEO_LAT_MAX]);
  // 2^64 and beyond convert to 0, as does 1e20 (past 2^63 and 2^64 - 2^63).
  assert.deepEqual(decodeScore(1e20), decodeScore(0));
  assert.deepEqual(decodeScore(2 ** 64), decodeScore(0));
  // Fractions are truncated.
  assert.deepEqual(decodeScore(3.7), decodeScore(3));
  assert.deepEqual(decodeScore(3), [-179.99999195337295532, -85.05112497791824921]);
});

Deno.test("GEOHASH strings are standard geohashes with a zero 11th character", () => {
  assert.equal(standardGeohash(geohashScore(-5.6, 42.6)), "ezs42e44yx0");
  assert.equal(standardGeohash(geohashScore(180, 85.05112878)), "bp05b5048p0");
  assert.equal(standardGeohash(geohashScore(-180, -85.05112878)), "00bh0hbj200");
  assert.equal(standardGeohash(geohashScore(0, 0)), "s0000000000");
});

Deno.test("neighbours wrap around the antimeridian and from pole to pole", () => {
  const step = 3;
  // The last box on the east side: its east neighbour is the first box on the west side.
  const east = encodeWGS84(179, 0, step)!;
  const [north, south, eastward, westward] = neighborsOf(east);
  assert.ok(decodeArea(eastward).longitude.min === -180);
  assert.equal(decodeArea(westward).longitude.max, decodeArea(east).longitude.min);
  assert.equal(decodeArea(north).latitude.min, decodeArea(east).latitude.max);
  assert.equal(decodeArea(south).latitude.max, decodeArea(east).latitude.min);
  // The top box's north neighbour is the bottom box of the same column.
  const top = encodeWGS84(10, 85, step)!;
  const above = neighborsOf(top)[0];
  assert.equal(decodeArea(above).latitude.min, GEO_LAT_MIN);
  assert.equal(decodeArea(above).longitude.min, decodeArea(top).longitude.min);
  // Going east then west comes back.
  const box = encodeWGS84(-73.98, 40.76, 20)!;
  const back = neighborsOf(neighborsOf(box)[2])[3];
  assert.deepEqual(back, box);
});

Deno.test("steps are estimated from the search size, coarser near the poles", () => {
  assert.equal(estimateSteps(0, 0), 26);
  assert.equal(estimateSteps(1, 0), 24);
  assert.equal(estimateSteps(5009431, 65), 2);
  assert.equal(estimateSteps(100000, 0), 7);
  assert.equal(estimateSteps(100000, 70), 6);
  assert.equal(estimateSteps(100000, -81), 5);
  assert.equal(estimateSteps(Infinity, 0), 1);
  assert.equal(estimateSteps(1e-300, 0), 26);
});

Deno.test("a box's scores run from its hash to the next hash, aligned to 52 bits", () => {
  const hash = encodeWGS84(13.361389, 38.115556, 26)!;
  assert.deepEqual(scoreRangeOf(hash), { min: 3479099956230698, max: 3479099956230699 });
  const coarse = encodeWGS84(13.361389, 38.115556, 10)!;
  const { min, max } = scoreRangeOf(coarse);
  assert.equal(max - min, 2 ** 32);
  assert.ok(min <= 3479099956230698 && 3479099956230698 < max);
});

Deno.test("a search near a box edge takes a coarser step; useless neighbours are dropped", () => {
  // Redis's "crossing pole" case: one step coarser, the four boxes of the world.
  const pole: GeoShape = { kind: "radius", lon: 45, lat: 65, conversion: 1, radius: 5009431 };
  const areas = searchAreas(pole);
  assert.equal(areas.hash.step, 1);
  assert.equal(boxesToScan(areas).length, 4);
  // A small circle in the middle of its box needs only that box.
  const small: GeoShape = {
    kind: "radius",
    lon: 13.361389,
    lat: 38.115556,
    conversion: 1000,
    radius: 1,
  };
  const near = searchAreas(small);
  assert.ok(near.neighbors.some(isZeroHash));
  assert.equal(boxesToScan(near)[0], near.hash);
});

Deno.test("distances are haversine distances on Redis's Earth radius", () => {
  // GEODIST measures between the stored (decoded) positions, not the ones given.
  assert.equal(distance(13.361389, 38.115556, 15.087269, 37.502669).toFixed(4), "166274.2578");
  const [plon, plat] = decodeScore(3479099956230698);
  const [clon, clat] = decodeScore(3479447370796909);
  assert.equal(distance(plon, plat, clon, clat).toFixed(4), "166274.1516");
  // Along a meridian the shortcut gives the latitude distance.
  assert.equal(distance(10, 0, 10, 1), latDistance(0, 1));
  assert.equal(latDistance(0, 1), EARTH_RADIUS_IN_METERS * (Math.PI / 180));
  assert.equal(distance(1, 2, 1, 2), 0);
});

Deno.test("a point is in a box when its latitude and its longitude distances both fit", () => {
  const box: GeoShape = { kind: "box", lon: 0, lat: 0, conversion: 1000, width: 200, height: 100 };
  assert.notEqual(distanceIfInShape(box, 0.8, 0.4), null);
  assert.equal(distanceIfInShape(box, 0.8, 0.5), null);
  assert.equal(distanceIfInShape(box, 0.9, 0.4), null);
  const circle: GeoShape = { kind: "radius", lon: 0, lat: 0, conversion: 1, radius: 1000 };
  assert.equal(distanceIfInShape(circle, 0.01, 0), null);
  assert.ok(distanceIfInShape(circle, 0.008, 0)! < 1000);
});

Deno.test("decodeScoreInto decodes any score as decodeScore does", () => {
  const random = rng(3);
  const out = { lon: 0, lat: 0 };
  const scores = [0, 3, 3.7, -5, 1e20, 2 ** 64, 2 ** 53, 13510798882111488, 3479099956230698];
  for (let i = 0; i < 2000; i++) scores.push(Math.floor(random() * 2 ** 52));
  for (const score of scores) {
    decodeScoreInto(score, out);
    assert.deepEqual([out.lon, out.lat], decodeScore(score), `score ${score}`);
  }
});

Deno.test("the shape matcher answers distanceIfInShape's distances to the bit", () => {
  const random = rng(5);
  for (let round = 0; round < 200; round++) {
    const lon = random() * 360 - 180, lat = random() * 170 - 85;
    const shape: GeoShape = random() < 0.5
      ? { kind: "radius", lon, lat, conversion: 1000, radius: random() * 3000 }
      : {
        kind: "box",
        lon,
        lat,
        conversion: 1000,
        width: random() * 3000,
        height: random() * 3000,
      };
    const matcher = new ShapeMatcher(shape);
    for (let i = 0; i < 50; i++) {
      const [plon, plat] = decodeScore(
        geohashScore(
          Math.max(-180, Math.min(180, lon + (random() - 0.5) * 40)),
          Math.max(-85, Math.min(85, lat + (random() - 0.5) * 20)),
        ),
      );
      assert.equal(matcher.distanceTo(plon, plat), distanceIfInShape(shape, plon, plat) ?? -1);
    }
  }
});

Deno.test("the shape matcher's cheap bounds hold the exact distance", () => {
  const random = rng(9);
  let narrow = 0;
  for (let round = 0; round < 300; round++) {
    const lon = random() * 360 - 180, lat = random() * 170.1 - 85.05;
    const shape: GeoShape = { kind: "radius", lon, lat, conversion: 1, radius: 1e9 };
    const matcher = new ShapeMatcher(shape);
    // From the same spot out to well past the series' reach, poles and antimeridian too.
    for (const spread of [1e-9, 1e-5, 0.01, 1, 5, 12, 40]) {
      for (let i = 0; i < 20; i++) {
        const plon = Math.max(-180, Math.min(180, lon + (random() - 0.5) * spread));
        const plat = Math.max(-85.05, Math.min(85.05, lat + (random() - 0.5) * spread));
        const exact = distance(lon, lat, plon, plat);
        matcher.bound(plon, plat);
        assert.ok(
          matcher.low <= exact && exact <= matcher.high,
          `${lon},${lat} to ${plon},${plat}`,
        );
        if (matcher.low < matcher.high) narrow++;
      }
    }
    // A point on the center's meridian takes distance's latitude shortcut: exact.
    matcher.bound(lon, Math.min(85, lat + 0.5));
    assert.equal(matcher.low, distance(lon, lat, lon, Math.min(85, lat + 0.5)));
  }
  assert.ok(narrow > 10_000); // the series did most of the work
});

Deno.test("a score is the geohash's 64-bit value rounded to a double", () => {
  const random = rng(13);
  const points: [number, number][] = [[180, 85.05112878], [180, 0], [-180, -85.05112878]];
  for (let i = 0; i < 5000; i++) points.push([random() * 360 - 180, random() * 170.1 - 85.05]);
  for (const [lon, lat] of points) {
    assert.equal(geohashScore(lon, lat), Number(encodeWGS84(lon, lat)!.bits), `${lon},${lat}`);
  }
});

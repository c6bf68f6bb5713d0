// LOLWUT's random drawings, which tests/compat/scenarios/lolwut.txt can compare with
// Redis only where chance plays no part: here their shape is checked instead (rows,
// columns, characters, colors, captions), as Redis draws them.

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { startInProcess } from "../_inprocess.ts";

// The text of a bulk or verbatim reply, decoded from UTF-8 (the drawing's characters).
function text(raw: string): string {
  const body = raw.slice(raw.indexOf("\r\n") + 2, -2);
  return Buffer.from(body.replace(/^txt:/, ""), "latin1").toString("utf8");
}

Deno.test("LOLWUT VERSION 5 draws rows of Braille squares under a caption", async () => {
  const t = await startInProcess();
  try {
    const lines = text(await t.call("LOLWUT", "VERSION", "5")).split("\n");
    // 66 columns of 2x4-pixel characters over 8x12 squares of 16 pixels: 196 rows of
    // pixels, 49 lines, then an empty line, the caption and a final newline.
    assert.equal(lines.length, 52);
    for (const line of lines.slice(0, 49)) assert.match(line, /^[\u2800-\u28ff]{66}$/u);
    assert.equal(lines[49], "");
    assert.equal(lines[50], "Georg Nees - schotter, plotter on paper, 1968. Redis ver. 7.0.15");
    assert.equal(lines[51], "");
    // The top rows never move; the lower ones do, so two drawings differ there only.
    const again = text(await t.call("LOLWUT", "VERSION", "5")).split("\n");
    assert.deepEqual(again.slice(0, 8), lines.slice(0, 8));
    const small = text(await t.call("LOLWUT", "VERSION", "5", "20", "4", "6")).split("\n");
    assert.ok(small.slice(0, -3).every((line) => [...line].length === 20));
  } finally {
    await t.stop();
  }
});

Deno.test("LOLWUT VERSION 6 draws a skyline in four grays", async () => {
  const t = await startInProcess();
  try {
    const lines = text(await t.call("LOLWUT", "VERSION", "6")).split("\n");
    assert.equal(lines.length, 23);
    const esc = "\x1b";
    const pixel = new RegExp(`${esc}\\[0;(30;40|90;100|37;47|97;107)m ${esc}\\[0m`, "g");
    for (const row of lines.slice(0, 20)) {
      assert.equal(row.replace(pixel, "").length, 0);
      assert.equal(row.match(pixel)!.length, 80);
    }
    // No building reaches the top row: it is all white sky.
    assert.equal(lines[0].match(/0;97;107m/g)!.length, 80);
    assert.equal(lines[20], "Dedicated to the 8 bit game developers of past and present.");
    assert.equal(
      lines[21],
      "Original 8 bit image from Plaguemon by hikikomori. Redis ver. 7.0.15",
    );
    assert.equal(
      text(await t.call("LOLWUT", "VERSION", "6", "3", "2")).split("\n").length,
      2 + 3,
    );
  } finally {
    await t.stop();
  }
});

Deno.test("LOLWUT without a drawing answers the version line, verbatim in RESP3", async () => {
  const t = await startInProcess();
  try {
    assert.equal(await t.call("LOLWUT"), "$18\r\nRedis ver. 7.0.15\n\r\n");
    assert.equal(await t.call("LOLWUT", "VERSION", "4"), "$18\r\nRedis ver. 7.0.15\n\r\n");
    await t.call("HELLO", "3");
    assert.equal(await t.call("LOLWUT"), "=22\r\ntxt:Redis ver. 7.0.15\n\r\n");
    assert.equal(
      await t.call("LOLWUT", "VERSION", "x"),
      "-ERR value is not an integer or out of range\r\n",
    );
  } finally {
    await t.stop();
  }
});

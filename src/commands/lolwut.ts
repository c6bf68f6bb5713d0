// LOLWUT [VERSION v [arg ...]]: a piece of computer art and the version line, as
// Redis 7.0.15 answers it. VERSION 5 draws squares that tumble more the lower they
// are (after Georg Nees's "Schotter", 1968) in Braille characters; VERSION 6 draws a
// city skyline in the four grays of ANSI terminals (after the 8-bit game Plaguemon);
// every other version, and a bare LOLWUT, is just the version line. Both drawings are
// random, as Redis's are; what does not depend on chance (their size, the first two
// rows of squares, captions) comes out byte for byte as Redis's.

import { ERR_NOT_INTEGER } from "../protocol/errors.ts";
import { parseInt64 } from "../util/int64.ts";
import { REDIS_VERSION } from "../version.ts";
import type { CommandSpec, Session } from "./context.ts";

/** A grid of pixels holding small color numbers; pixels off the grid read as 0. */
class Canvas {
  readonly pixels: Uint8Array;
  constructor(readonly width: number, readonly height: number, background = 0) {
    this.pixels = new Uint8Array(width * height).fill(background);
  }

  get(x: number, y: number): number {
    if (x < 0 || x >= this.width || y < 0 || y >= this.height) return 0;
    return this.pixels[y * this.width + x];
  }

  set(x: number, y: number, color: number): void {
    if (x < 0 || x >= this.width || y < 0 || y >= this.height) return;
    this.pixels[y * this.width + x] = color;
  }

  /** A straight line from (x1, y1) to (x2, y2), both ends included (Bresenham). */
  line(x1: number, y1: number, x2: number, y2: number, color: number): void {
    const dx = Math.abs(x2 - x1);
    const dy = Math.abs(y2 - y1);
    const sx = x1 < x2 ? 1 : -1;
    const sy = y1 < y2 ? 1 : -1;
    let err = dx - dy;
    while (true) {
      this.set(x1, y1, color);
      if (x1 === x2 && y1 === y2) return;
      const e2 = err * 2;
      if (e2 > -dy) {
        err -= dy;
        x1 += sx;
      }
      if (e2 < dx) {
        err += dx;
        y1 += sy;
      }
    }
  }
}

// Redis computes these drawings in C floats; Math.fround keeps each step in single
// precision so that pixel positions land where Redis's do.
const f = Math.fround;

// C's round(): halves go away from zero.
function cRound(n: number): number {
  return n < 0 ? -Math.round(-n) : Math.round(n);
}

// A random integer as C's rand() gives them (0 to 2^31 - 1).
function rand(): number {
  return Math.floor(Math.random() * 0x80000000);
}

// ---------------------------------------------------------------------------
// VERSION 5: Schotter

/**
 * A square centred on (x, y) whose diagonal is `side` long, turned by `angle`
 * radians from resting on a side.
 */
function drawSquare(canvas: Canvas, x: number, y: number, side: number, angle: number): void {
  // The corners lie on a circle: a side of length `side` needs radius side / sqrt(2).
  const radius = f(cRound(f(side / 1.4142135623)));
  let k = f(Math.PI / 4 + angle);
  const px: number[] = [];
  const py: number[] = [];
  for (let j = 0; j < 4; j++) {
    px.push(cRound(Math.sin(k) * radius + x));
    py.push(cRound(Math.cos(k) * radius + y));
    k = f(k + Math.PI / 2);
  }
  for (let j = 0; j < 4; j++) {
    canvas.line(px[j], py[j], px[(j + 1) % 4], py[(j + 1) % 4], 1);
  }
}

/** Rows of squares, the first two straight, the others more shaken the lower they are. */
function schotter(cols: number, perRow: number, perCol: number): Canvas {
  const width = cols * 2;
  const padding = width > 4 ? 2 : 0;
  const side = f(f(width - padding * 2) / f(perRow));
  const height = Math.trunc(f(f(side * f(perCol)) + padding * 2));
  const canvas = new Canvas(width, height);
  for (let y = 0; y < perCol; y++) {
    for (let x = 0; x < perRow; x++) {
      let sx = Math.trunc(f(f(f(x * side) + f(side / 2)) + padding));
      let sy = Math.trunc(f(f(f(y * side) + f(side / 2)) + padding));
      let angle = 0;
      if (y > 1) {
        const shake = () => f(f(f(rand() / 0x7fffffff) / perCol) * y);
        let r1 = shake();
        let r2 = shake();
        let r3 = shake();
        if (rand() % 2) r1 = -r1;
        if (rand() % 2) r2 = -r2;
        if (rand() % 2) r3 = -r3;
        angle = r1;
        sx = Math.trunc(f(sx + f(f(r2 * side) / 3)));
        sy = Math.trunc(f(sy + f(f(r3 * side) / 3)));
      }
      drawSquare(canvas, sx, sy, side, angle);
    }
  }
  return canvas;
}

/**
 * The canvas as Braille characters, each showing a 2x4 block of pixels, as UTF-8 bytes
 * in a one-byte string (U+2800 plus the dot bits).
 */
function brailleText(canvas: Canvas): string {
  // Dot bit of each pixel of a block: [dx][dy].
  const dots = [[0, 1, 2, 6], [3, 4, 5, 7]];
  let text = "";
  for (let y = 0; y < canvas.height; y += 4) {
    for (let x = 0; x < canvas.width; x += 2) {
      let bits = 0;
      for (let dx = 0; dx < 2; dx++) {
        for (let dy = 0; dy < 4; dy++) {
          if (canvas.get(x + dx, y + dy)) bits |= 1 << dots[dx][dy];
        }
      }
      text += String.fromCharCode(0xe2, 0xa0 | (bits >> 6), 0x80 | (bits & 0x3f));
    }
    if (y !== canvas.height - 1) text += "\n";
  }
  return text;
}

// ---------------------------------------------------------------------------
// VERSION 6: a skyline

/** One building: where it starts, its size, its gray, whether it has lit windows. */
interface Building {
  x: number;
  width: number;
  height: number;
  color: number;
  windows: boolean;
}

function drawBuilding(canvas: Canvas, b: Building): void {
  const bottom = canvas.height - 1;
  const top = bottom - b.height + 1;
  const left = b.x;
  const right = b.x + b.width - 1;
  for (let y = bottom; y >= top; y--) {
    for (let x = left; x <= right; x++) {
      // The roof is two pixels narrower on each side.
      if (y === top && (x <= left + 1 || x >= right - 1)) continue;
      let color = b.color;
      // Windows: away from the walls, two pixels wide and one tall, on every other
      // pair of columns and every other row, each lit in one of the two other grays.
      if (b.windows && x > left + 1 && x < right - 1 && y > top + 1 && y < bottom - 1) {
        const col = x - (left + 1);
        const row = y - (top + 1);
        if (Math.trunc(col / 2) % 2 && row % 2) {
          do color = 1 + rand() % 2; while (color === b.color);
          if (col % 2) color = canvas.get(x - 1, y);
        }
      }
      canvas.set(x, y, color);
    }
  }
}

/** Two rows of pale buildings, then black ones with windows in front. */
function skyline(cols: number, rows: number): Canvas {
  const canvas = new Canvas(cols, rows, 3);
  const half = Math.trunc(rows / 2);
  for (const color of [2, 1]) {
    for (let x = -10; x < cols;) {
      x += rand() % 8;
      const width = 10 + rand() % 9;
      const height = half + Math.trunc((rand() % rows) / (color === 2 ? 2 : 3));
      drawBuilding(canvas, { x, width, height, color, windows: false });
      x += color === 2 ? Math.trunc(width / 2) : width + 1;
    }
  }
  for (let x = -10; x < cols;) {
    x += rand() % 8;
    let width = 5 + rand() % 14;
    if (width % 4) width += width % 3;
    const height = Math.trunc(rows / 3) + Math.trunc((rand() % rows) / 2);
    drawBuilding(canvas, { x, width, height, color: 0, windows: true });
    x += width + 5;
  }
  return canvas;
}

// Terminal colors of the four grays, foreground and background alike: black, dark
// gray, light gray, white.
const GRAYS = ["0;30;40m", "0;90;100m", "0;37;47m", "0;97;107m"];

/** The canvas as one colored space per pixel. */
function ansiText(canvas: Canvas): string {
  let text = "";
  for (let y = 0; y < canvas.height; y++) {
    for (let x = 0; x < canvas.width; x++) {
      text += `\x1b[${GRAYS[canvas.get(x, y)] ?? GRAYS[0]} \x1b[0m`;
    }
    if (y !== canvas.height - 1) text += "\n";
  }
  return text;
}

// ---------------------------------------------------------------------------

/** Integer arguments of a drawing, clamped to [min, max]; null after replying an error. */
function sizes(
  s: Session,
  args: string[],
  defaults: number[],
  limits: [number, number][],
): number[] | null {
  const out = [...defaults];
  for (let i = 0; i < defaults.length && i < args.length; i++) {
    const n = parseInt64(args[i]);
    if (n === null) {
      s.reply.error(ERR_NOT_INTEGER);
      return null;
    }
    const [min, max] = limits[i];
    out[i] = n < min ? min : n > max ? max : Number(n);
  }
  return out;
}

function lolwut(s: Session, argv: string[]): void {
  let version = -1;
  let args: string[] = [];
  if (argv.length >= 3 && argv[1].toLowerCase() === "version") {
    const n = parseInt64(argv[2]);
    if (n === null) {
      s.reply.error(ERR_NOT_INTEGER);
      return;
    }
    // Redis reads the version as a C unsigned int: 4294967301 is version 5 too.
    version = Number(BigInt.asUintN(32, n));
    args = argv.slice(3);
  }
  let text: string;
  if (version === 5) {
    const got = sizes(s, args, [66, 8, 12], [[1, 1000], [1, 200], [1, 200]]);
    if (got === null) return;
    text = brailleText(schotter(got[0], got[1], got[2])) +
      `\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. ${REDIS_VERSION}\n`;
  } else if (version === 6) {
    const got = sizes(s, args, [80, 20], [[1, 1000], [1, 1000]]);
    if (got === null) return;
    text = ansiText(skyline(got[0], got[1])) +
      "\nDedicated to the 8 bit game developers of past and present.\n" +
      `Original 8 bit image from Plaguemon by hikikomori. Redis ver. ${REDIS_VERSION}\n`;
  } else {
    text = `Redis ver. ${REDIS_VERSION}\n`;
  }
  s.reply.verbatim(text);
}

/** LOLWUT. */
export const lolwutCommands: CommandSpec[] = [{
  name: "lolwut",
  arity: -1,
  flags: ["readonly", "fast"],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  group: "server",
  summary: "Draws a piece of computer art and shows the Redis version.",
  since: "5.0.0",
  args: [{ name: "version", type: "integer", token: "VERSION", optional: true }],
  handler: lolwut,
}];

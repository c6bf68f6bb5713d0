// Number formatting that matches Redis's printf-based output byte for byte.

/** A double as C's `%.17g` prints it (Redis's format for scores and RESP3 doubles). */
export function formatDouble17(d: number): string {
  if (d === Infinity) return "inf";
  if (d === -Infinity) return "-inf";
  if (Number.isNaN(d)) return "nan";
  if (d === 0) return Object.is(d, -0) ? "-0" : "0";
  const exp = d.toExponential(16);
  const ePos = exp.indexOf("e");
  const exponent = Number(exp.slice(ePos + 1));
  if (exponent < -4 || exponent >= 17) {
    const mantissa = trimZeros(exp.slice(0, ePos));
    const sign = exponent < 0 ? "-" : "+";
    const digits = String(Math.abs(exponent)).padStart(2, "0");
    return `${mantissa}e${sign}${digits}`;
  }
  return trimZeros(d.toFixed(16 - exponent));
}

function trimZeros(s: string): string {
  if (s.indexOf(".") < 0) return s;
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48) end--;
  if (s.charCodeAt(end - 1) === 46) end--;
  return s.slice(0, end);
}

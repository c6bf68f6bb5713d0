// ASCII sparklines for LATENCY GRAPH, drawn the way Redis draws them: each sample is
// one column; a column's height, scaled between the lowest and highest sample, is
// drawn over `rows` text rows, each row able to show three levels ('_', 'o', '#'),
// and rows below the top of a column are filled with '|'. Under the columns, after a
// blank line, each column's label is written top to bottom. More samples than
// `columns` wrap into further blocks separated by an empty line.

/** One column of the graph. */
export interface SparklineSample {
  value: number;
  label: string;
}

const LEVELS = ["_", "o", "#"];

/** The graph of `samples` as text lines, each ending in "\n". */
export function renderSparkline(
  samples: readonly SparklineSample[],
  columns = 80,
  rows = 4,
): string {
  if (samples.length === 0) return "";
  let min = samples[0].value, max = samples[0].value;
  for (const s of samples) {
    if (s.value < min) min = s.value;
    if (s.value > max) max = s.value;
  }
  const range = max - min === 0 ? 1 : max - min;
  const steps = LEVELS.length * rows;
  let out = "";
  for (let from = 0; from < samples.length; from += columns) {
    if (from !== 0) out += "\n";
    const block = samples.slice(from, from + columns);
    const heights = block.map((s) => {
      // Integer steps, as Redis computes them (truncating twice).
      const step = Math.trunc(Math.trunc((s.value - min) * steps) / range);
      return Math.min(Math.max(step, 0), steps - 1);
    });
    for (let row = 0; row < rows; row++) {
      const base = (rows - row - 1) * LEVELS.length;
      let line = "";
      for (const height of heights) {
        const level = height - base;
        line += level < 0 ? " " : level < LEVELS.length ? LEVELS[level] : "|";
      }
      out += line + "\n";
    }
    out += " ".repeat(block.length) + "\n";
    const longest = Math.max(...block.map((s) => s.label.length));
    for (let i = 0; i < longest; i++) {
      let line = "";
      for (const s of block) line += i < s.label.length ? s.label[i] : " ";
      out += line + "\n";
    }
  }
  return out;
}

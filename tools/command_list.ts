// `deno task commands-doc`: regenerates README.md's list of supported commands from the
// command table (between <!-- commands:start --> and <!-- commands:end -->).
//
//   deno task commands-doc             rewrite the list in README.md
//   deno task commands-doc --check     exit 1 when README.md's list is stale
//   deno task commands-doc --file X    work on another Markdown file
//
// Without a README.md the list goes to stdout.

import { allCommandSpecs } from "../src/commands/mod.ts";
import type { ArgDoc, CommandGroup, CommandSpec } from "../src/commands/context.ts";

const START = "<!-- commands:start -->";
const END = "<!-- commands:end -->";

/** Groups in the order the list shows them, with their headings. */
const GROUPS: readonly [CommandGroup, string][] = [
  ["connection", "Connection"],
  ["server", "Server"],
  ["generic", "Keys"],
  ["string", "Strings"],
  ["bitmap", "Bitmaps"],
  ["hash", "Hashes"],
  ["list", "Lists"],
  ["set", "Sets"],
  ["sorted-set", "Sorted sets"],
  ["pubsub", "Pub/Sub"],
  ["transactions", "Transactions"],
  ["scripting", "Scripting"],
];

/** One argument in usage notation: `[EX seconds|PX milliseconds]`, `key [key ...]`. */
export function argUsage(arg: ArgDoc): string {
  let text: string;
  // An empty token (MIGRATE's key "") is written as the empty string it stands for.
  if (arg.type === "pure-token") {
    text = arg.token === "" ? '""' : arg.token ?? arg.name.toUpperCase();
  } else if (arg.type === "oneof") text = (arg.arguments ?? []).map(argUsage).join("|");
  else if (arg.type === "block") text = (arg.arguments ?? []).map(argUsage).join(" ");
  else text = arg.name;
  if (arg.token !== undefined && arg.type !== "pure-token") text = `${arg.token} ${text}`;
  if (arg.multiple) {
    const again = arg.multipleToken || arg.token === undefined ? text : text.slice(
      arg.token.length + 1,
    );
    text = `${text} [${again} ...]`;
  }
  return arg.optional ? `[${text}]` : text;
}

/** A command's usage line: `SET key value [NX|XX] ...`. */
export function usage(words: string, args: readonly ArgDoc[] | undefined): string {
  return [words, ...(args ?? []).map(argUsage)].join(" ");
}

/** The Markdown list, grouped by command group, alphabetical within a group. */
export function commandList(specs: readonly CommandSpec[]): string {
  const lines: string[] = [];
  const known = new Set(GROUPS.map(([group]) => group));
  const groups = [...GROUPS];
  for (const spec of specs) {
    if (!known.has(spec.group)) {
      known.add(spec.group);
      groups.push([spec.group, spec.group]);
    }
  }
  let total = 0;
  for (const [group, heading] of groups) {
    const members = specs.filter((spec) => spec.group === group)
      .sort((a, b) => a.name.localeCompare(b.name));
    if (members.length === 0) continue;
    if (lines.length > 0) lines.push("");
    lines.push(`**${heading}**`, "");
    for (const spec of members) {
      total++;
      const name = spec.name.toUpperCase();
      lines.push(`- \`${usage(name, spec.args)}\`: ${spec.summary}`);
      for (const sub of spec.subcommands ?? []) {
        lines.push(
          `  - \`${usage(`${name} ${sub.name.toUpperCase()}`, sub.args)}\`: ${sub.summary}`,
        );
      }
    }
  }
  lines.unshift(`${total} commands.`, "");
  return lines.join("\n") + "\n";
}

/** The Markdown text with the list between the markers replaced, or null without markers. */
export function replaceList(markdown: string, list: string): string | null {
  const start = markdown.indexOf(START);
  const end = markdown.indexOf(END);
  if (start < 0 || end < start) return null;
  // Blank lines around the list keep `deno fmt` from changing the README.
  return markdown.slice(0, start + START.length) + "\n\n" + list + "\n" + markdown.slice(end);
}

async function readIfExists(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/** Runs the tool; answers the exit code. */
export async function main(args: string[]): Promise<number> {
  const check = args.includes("--check");
  const fileAt = args.indexOf("--file");
  const path = fileAt >= 0 && fileAt + 1 < args.length
    ? args[fileAt + 1]
    : new URL("../README.md", import.meta.url).pathname;
  const list = commandList(allCommandSpecs());
  const markdown = await readIfExists(path);
  if (markdown === null) {
    console.log(list);
    return 0;
  }
  const updated = replaceList(markdown, list);
  if (updated === null) {
    console.error(`${path} has no ${START} ... ${END} markers`);
    return 1;
  }
  if (check) {
    if (updated === markdown) return 0;
    console.error(`${path}: the command list is stale; run \`deno task commands-doc\``);
    return 1;
  }
  if (updated !== markdown) await Deno.writeTextFile(path, updated);
  console.log(`${path}: ${updated === markdown ? "already up to date" : "command list updated"}`);
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}

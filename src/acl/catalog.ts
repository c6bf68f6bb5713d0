// What ACL rules are written against: every command and subcommand by its full name
// ("get", "config|get"), each with a small id (an index into a selector's bitmap)
// and its ACL categories as bits. Built once from the command table by the server;
// this folder imports nothing from the command families.

/** ACL categories in the order Redis lists them (ACL CAT, COMMAND INFO). */
export const ACL_CATEGORIES: readonly string[] = [
  "keyspace",
  "read",
  "write",
  "set",
  "sortedset",
  "list",
  "hash",
  "string",
  "bitmap",
  "hyperloglog",
  "geo",
  "stream",
  "pubsub",
  "admin",
  "fast",
  "slow",
  "blocking",
  "dangerous",
  "connection",
  "transaction",
  "scripting",
];

/** The bit of a category name (without '@', any letter case), or 0 when unknown. */
export function categoryBit(name: string): number {
  const index = ACL_CATEGORIES.indexOf(name.toLowerCase());
  return index < 0 ? 0 : 1 << index;
}

/** One command or subcommand as ACL rules see it. */
export interface AclCommand {
  readonly id: number;
  /** "get", or "config|get" for a subcommand. */
  readonly fullName: string;
  /** Category bits (see categoryBit). */
  readonly categories: number;
  /** True for a command that needs no authentication (AUTH, HELLO): never refused. */
  readonly noAuth: boolean;
  readonly parent: AclCommand | null;
  /** A container's subcommands, or null. */
  readonly children: AclCommand[] | null;
}

/** A command as the catalog is built from: its name, categories and subcommands. */
export interface CatalogEntry {
  name: string;
  categories: readonly string[];
  noAuth: boolean;
  subcommands?: readonly CatalogEntry[];
}

/** Every command and subcommand, by id and by full name. */
export class AclCatalog {
  /** Containers before their subcommands, in table order. */
  readonly all: AclCommand[] = [];
  readonly #byName = new Map<string, AclCommand>();

  constructor(entries: Iterable<CatalogEntry>) {
    for (const entry of entries) {
      const command = this.#add(entry, null);
      if (entry.subcommands !== undefined) {
        const children: AclCommand[] = [];
        (command as { children: AclCommand[] | null }).children = children;
        for (const sub of entry.subcommands) children.push(this.#add(sub, command));
      }
    }
  }

  #add(entry: CatalogEntry, parent: AclCommand | null): AclCommand {
    let categories = 0;
    for (const name of entry.categories) categories |= categoryBit(name);
    const command: AclCommand = {
      id: this.all.length,
      fullName: parent === null ? entry.name : `${parent.fullName}|${entry.name}`,
      categories,
      noAuth: entry.noAuth,
      parent,
      children: null,
    };
    this.all.push(command);
    this.#byName.set(command.fullName, command);
    return command;
  }

  get size(): number {
    return this.all.length;
  }

  /** A command by full name, any letter case ("CONFIG|get"), or undefined. */
  lookup(fullName: string): AclCommand | undefined {
    return this.#byName.get(fullName) ?? this.#byName.get(fullName.toLowerCase());
  }
}

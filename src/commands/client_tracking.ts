// CLIENT TRACKING, CACHING, GETREDIR and TRACKINGINFO: client-side caching as a client
// turns it on and inspects it. The table itself lives in src/messaging/tracking.ts.

import { ERR_NOT_INTEGER, ERR_SYNTAX } from "../protocol/errors.ts";
import { parseInteger } from "../util/int64.ts";
import type { CommandSpec, Session } from "./context.ts";
import { tokenChoice } from "./table.ts";
import { cString } from "../util/latin1.ts";

const ERR_REDIRECT_TWICE = "ERR A client can only redirect to a single other client";
const ERR_REDIRECT_MISSING = "ERR The client ID you want redirect to does not exist";
const ERR_PREFIX_NEEDS_BCAST = "ERR PREFIX option requires BCAST mode to be enabled";
const ERR_SWITCH_BCAST = "ERR You can't switch BCAST mode on/off before disabling tracking " +
  "for this client, and then re-enabling it with a different mode.";
const ERR_OPT_WITH_BCAST = "ERR OPTIN and OPTOUT are not compatible with BCAST";
const ERR_OPTIN_AND_OPTOUT = "ERR You can't specify both OPTIN mode and OPTOUT mode";
const ERR_SWITCH_OPT = "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking " +
  "for this client, and then re-enabling it with a different mode.";
const ERR_CACHING_OFF = "ERR CLIENT CACHING can be called only when the client is in " +
  "tracking mode with OPTIN or OPTOUT mode enabled";
const ERR_CACHING_YES =
  "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.";
const ERR_CACHING_NO =
  "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.";

/** Turns client-side caching off for a client (RESET calls this). */
export function disableTracking(s: Session): void {
  s.server.tracking.disable(s);
}

/** CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP] */
function clientTracking(s: Session, argv: string[]): void {
  const tracking = s.server.tracking;
  let redirect = 0;
  let bcast = false, optin = false, optout = false, noloop = false;
  const prefixes: string[] = [];
  // Options are read (and REDIRECT checked) first, for OFF too, as Redis does.
  for (let i = 3; i < argv.length; i++) {
    const option = argv[i].toLowerCase();
    const more = i + 1 < argv.length;
    if (option === "redirect" && more) {
      if (redirect !== 0) {
        s.reply.error(ERR_REDIRECT_TWICE);
        return;
      }
      const id = parseInteger(argv[++i]);
      if (id === null) {
        s.reply.error(ERR_NOT_INTEGER);
        return;
      }
      if (!tracking.clientExists(id)) {
        s.reply.error(ERR_REDIRECT_MISSING);
        return;
      }
      redirect = id;
    } else if (option === "bcast") bcast = true;
    else if (option === "optin") optin = true;
    else if (option === "optout") optout = true;
    else if (option === "noloop") noloop = true;
    else if (option === "prefix" && more) prefixes.push(argv[++i]);
    else {
      s.reply.error(ERR_SYNTAX);
      return;
    }
  }
  const mode = argv[2].toLowerCase();
  if (mode === "off") {
    tracking.disable(s);
    s.reply.ok();
    return;
  }
  if (mode !== "on") {
    s.reply.error(ERR_SYNTAX);
    return;
  }
  const state = tracking.stateOf(s);
  let error: string | null = null;
  if (!bcast && prefixes.length > 0) error = ERR_PREFIX_NEEDS_BCAST;
  else if (state !== undefined && state.bcast !== bcast) error = ERR_SWITCH_BCAST;
  else if (bcast && (optin || optout)) error = ERR_OPT_WITH_BCAST;
  else if (optin && optout) error = ERR_OPTIN_AND_OPTOUT;
  else if ((optin && state?.optout) || (optout && state?.optin)) error = ERR_SWITCH_OPT;
  if (error !== null) {
    s.reply.error(error);
    return;
  }
  if (bcast && !prefixesAccepted(s, state?.prefixes ?? new Set(), prefixes)) return;
  tracking.enable(s, { redirect, bcast, optin, optout, noloop, prefixes });
  s.reply.ok();
}

/**
 * Two prefixes of one client must not overlap (one a prefix of the other), or a key
 * would be reported twice. Replies with the error when they do; returns whether
 * tracking is to be turned on. Redis 7.0 has a slip here that we keep, since clients
 * see it: an overlap found among the new prefixes after the first one is reported,
 * and tracking is turned on anyway (the command then also answers +OK).
 */
function prefixesAccepted(
  s: Session,
  existing: ReadonlySet<string>,
  prefixes: readonly string[],
): boolean {
  const overlap = (a: string, b: string) => a.startsWith(b) || b.startsWith(a);
  for (let i = 0; i < prefixes.length; i++) {
    for (const old of [...existing].sort()) {
      if (overlap(old, prefixes[i])) {
        s.reply.error(
          `ERR Prefix '${cString(prefixes[i])}' overlaps with an existing prefix ` +
            `'${cString(old)}'. Prefixes for a single client must not overlap.`,
        );
        return false;
      }
    }
    for (let j = i + 1; j < prefixes.length; j++) {
      if (overlap(prefixes[i], prefixes[j])) {
        s.reply.error(
          `ERR Prefix '${cString(prefixes[i])}' overlaps with another provided prefix ` +
            `'${cString(prefixes[j])}'. Prefixes for a single client must not overlap.`,
        );
        return i !== 0;
      }
    }
  }
  return true;
}

/** CLIENT CACHING YES|NO */
function clientCaching(s: Session, argv: string[]): void {
  const tracking = s.server.tracking;
  const state = tracking.stateOf(s);
  if (state === undefined) {
    s.reply.error(ERR_CACHING_OFF);
    return;
  }
  const answer = argv[2].toLowerCase();
  if (answer === "yes") {
    if (!state.optin) {
      s.reply.error(ERR_CACHING_YES);
      return;
    }
  } else if (answer === "no") {
    if (!state.optout) {
      s.reply.error(ERR_CACHING_NO);
      return;
    }
  } else {
    s.reply.error(ERR_SYNTAX);
    return;
  }
  tracking.setCaching(s);
  s.reply.ok();
}

/** CLIENT GETREDIR: the redirect id, 0 without one, -1 when tracking is off. */
function clientGetRedir(s: Session): void {
  s.reply.integer(s.server.tracking.redirectOf(s));
}

/** CLIENT TRACKINGINFO: flags (a set), redirect, prefixes. */
function clientTrackingInfo(s: Session): void {
  const state = s.server.tracking.stateOf(s);
  const reply = s.reply;
  const flags: string[] = [state === undefined ? "off" : "on"];
  if (state !== undefined) {
    if (state.bcast) flags.push("bcast");
    if (state.optin) flags.push("optin");
    if (state.optin && state.caching) flags.push("caching-yes");
    if (state.optout) flags.push("optout");
    if (state.optout && state.caching) flags.push("caching-no");
    if (state.noloop) flags.push("noloop");
    if (state.brokenRedirect) flags.push("broken_redirect");
  }
  reply.mapLen(3);
  reply.bulk("flags");
  reply.setLen(flags.length);
  for (const flag of flags) reply.bulk(flag);
  reply.bulk("redirect");
  reply.integer(state === undefined ? -1 : state.redirect);
  reply.bulk("prefixes");
  const prefixes = state === undefined ? [] : [...state.prefixes].sort();
  reply.arrayLen(prefixes.length);
  for (const prefix of prefixes) reply.bulk(prefix);
}

/** Lines for CLIENT HELP. */
export const trackingHelp: readonly string[] = [
  "CACHING (YES|NO)",
  "    With OPTIN (YES) or OPTOUT (NO) tracking: whether the next command's keys are",
  "    tracked.",
  "GETREDIR",
  "    The id of the client invalidations are redirected to: 0 for none, -1 when",
  "    tracking is off.",
  "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]] [OPTIN] [OPTOUT]",
  "        [NOLOOP]",
  "    Client-side caching: with ON, the server tells this connection (or the one",
  "    given with REDIRECT) when keys it read change. BCAST: report every key changed",
  "    under the prefixes instead. OPTIN/OPTOUT: track only (or all but) the commands",
  "    after CLIENT CACHING. NOLOOP: not the keys this connection changed itself.",
  "TRACKINGINFO",
  "    This connection's tracking flags, redirect id and prefixes.",
];

const sub = {
  group: "connection",
  firstKey: 0,
  lastKey: 0,
  step: 0,
  flags: ["noscript", "loading", "stale"],
  categories: ["slow", "connection"],
} as const;

/** The tracking subcommands of CLIENT. */
export const clientTrackingCommands: CommandSpec[] = [
  {
    ...sub,
    name: "tracking",
    arity: -3,
    summary: "Turns client-side caching invalidations on or off for this connection.",
    since: "6.0.0",
    complexity: "O(1); some options cost more",
    args: [
      tokenChoice("status", ["ON", "OFF"]),
      { name: "client-id", type: "integer", token: "REDIRECT", optional: true },
      {
        name: "prefix",
        type: "string",
        token: "PREFIX",
        optional: true,
        multiple: true,
        multipleToken: true,
      },
      { name: "bcast", type: "pure-token", token: "BCAST", optional: true },
      { name: "optin", type: "pure-token", token: "OPTIN", optional: true },
      { name: "optout", type: "pure-token", token: "OPTOUT", optional: true },
      { name: "noloop", type: "pure-token", token: "NOLOOP", optional: true },
    ],
    handler: clientTracking,
  },
  {
    ...sub,
    name: "caching",
    arity: 3,
    summary: "Says whether the keys of the next command are to be tracked (OPTIN/OPTOUT).",
    since: "6.0.0",
    complexity: "O(1)",
    args: [tokenChoice("mode", ["YES", "NO"])],
    handler: clientCaching,
  },
  {
    ...sub,
    name: "getredir",
    arity: 2,
    summary: "Answers the id of the client invalidations are redirected to.",
    since: "6.0.0",
    complexity: "O(1)",
    handler: clientGetRedir,
  },
  {
    ...sub,
    name: "trackinginfo",
    arity: 2,
    summary: "Describes this connection's client-side caching settings.",
    since: "6.2.0",
    complexity: "O(1)",
    handler: clientTrackingInfo,
  },
];

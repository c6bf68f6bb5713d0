// The configuration folder's entry: the names other modules use, re-exported.
export { type Directive, DIRECTIVES, type DirectiveType, findDirective } from "./directives.ts";
export {
  NOTIFY,
  type OutputBufferLimit,
  type OutputBufferLimits,
  parseMemory,
  type SaveRule,
} from "./parsers.ts";
export {
  type ChangeListener,
  type CommandRename,
  Config,
  perConfigChange,
  type SetOptions,
} from "./config.ts";
export { ConfigError, helpText, loadConfig, type LoadResult, parseConfigText } from "./load.ts";

/**
 * A small, strict argv parser: options are declared as data, anything undeclared is a usage error.
 * Accepts `--name value`, `--name=value`, `-x value`, `-xvalue` (single-letter options), and `--` to end
 * options. Flags take no value (`--flag=false` is accepted). Values are checked by kind.
 * Two options that set the same value differently (`--quick --mode full`) are a usage error.
 */

/** A mistake on the command line: one line saying what is wrong and what to do. Exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
  readonly exitCode = 2;
}

export type OptionKind = "string" | "int" | "number" | "flag" | "list" | "bytes" | "duration";

export interface OptionSpec {
  /** Long name without dashes, e.g. "key-pattern". */
  long: string;
  short?: string;
  kind: OptionKind;
  /** Property name in the parsed values. */
  key: string;
  help: string;
  /** Placeholder shown in help, e.g. "PATTERN". */
  arg?: string;
  choices?: readonly string[];
  min?: number;
  max?: number;
  /** Shown in help. */
  defaultText?: string;
  /** For lists: split each value on commas (default true; false for globs, which may contain commas). */
  splitCommas?: boolean;
  /** For lists: also take the values that follow, up to the next option or URI (`--key-include a b`). */
  multiple?: boolean;
  /** Other long names (RIOT's spellings), e.g. "host" for "hostname". */
  aliases?: readonly string[];
  /** Maps what the user typed before it is checked (`RESP3` -> `3`, `scan` -> `snapshot`). */
  normalize?: (raw: string) => string;
  /**
   * The value may be left out (at the end, or before another option): the option then stands for `bare`
   * (`--show-diffs` alone, `-a` alone = ask on the terminal).
   */
  bare?: string | number | boolean;
  /** For flags: the value they set under `key` instead of true (`--quick` sets mode to "quick"). */
  value?: string;
  /** For durations: the unit of a bare number (default "ms"; "s" for --timeout, as redis-cli's -o). */
  unit?: "ms" | "s";
  /** Whose option this is, for messages: "target" makes them say "the target's -p". */
  owner?: string;
}

export type ParsedValues = Record<string, string | number | boolean | string[] | undefined>;

export interface Parsed {
  values: ParsedValues;
  positionals: string[];
}

/**
 * Parse `argv` against `specs`. With `stopAtPositional`, parsing stops at the first positional and the
 * rest is returned untouched in `rest` (used to find the command name).
 */
export function parseArgs(
  argv: readonly string[],
  specs: readonly OptionSpec[],
  context: string,
  stopAtPositional = false,
  commandNames: readonly string[] = [],
): Parsed & { rest: string[] } {
  const byLong = new Map(
    specs.flatMap((spec) => [spec.long, ...spec.aliases ?? []].map((name) => [name, spec])),
  );
  const byShort = new Map(specs.filter((spec) => spec.short).map((spec) => [spec.short!, spec]));
  const values: ParsedValues = {};
  /** Which option set each value, and how it was written: for "--quick conflicts with --mode". */
  const setBy = new Map<string, { spec: OptionSpec; shown: string }>();
  const positionals: string[] = [];
  /**
   * True when `token` is an option of these specs written alone (`-h`, `--host`, `--host=x`) or a command
   * name: it cannot be the value of an option whose value may be left out. (`-a -secret` keeps its value.)
   */
  const isOption = (token: string | undefined) =>
    token !== undefined && (commandNames.includes(token) ||
      (token.startsWith("--") && byLong.has(token.slice(2).split("=")[0])) ||
      (token.length === 2 && token[0] === "-" && byShort.has(token[1])));
  /** The same option again: the later wins. Another option for the same value: an error unless equal. */
  const set = (spec: OptionSpec, shown: string, value: ParsedValues[string]) => {
    const earlier = setBy.get(spec.key);
    if (earlier !== undefined && earlier.spec !== spec && values[spec.key] !== value) {
      throw new UsageError(`${shown} conflicts with ${earlier.shown}: give one of them`);
    }
    setBy.set(spec.key, { spec, shown });
    values[spec.key] = value;
  };
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let spec: OptionSpec | undefined;
    let inline: string | undefined;
    if (token.startsWith("--")) {
      const eq = token.indexOf("=");
      const name = eq === -1 ? token.slice(2) : token.slice(2, eq);
      if (eq !== -1) inline = token.slice(eq + 1);
      spec = byLong.get(name);
      if (!spec) throw unknownOption(`--${name}`, context, specs);
    } else if (token.startsWith("-") && token.length > 1 && !/^-\d/.test(token)) {
      spec = byShort.get(token[1]);
      if (!spec) throw unknownOption(token.slice(0, 2), context, specs);
      if (token.length > 2) inline = token.slice(2);
    } else {
      if (stopAtPositional) return { values, positionals, rest: argv.slice(i) };
      positionals.push(token);
      continue;
    }
    const typed = token.startsWith("--")
      ? token.slice(0, inline === undefined ? undefined : token.indexOf("="))
      : "";
    const shown = `${spec.owner ? `the ${spec.owner}'s ` : ""}${typed || `-${spec.short}`}`;
    if (spec.kind === "flag") {
      if (inline !== undefined && !/^(true|false)$/.test(inline)) {
        throw new UsageError(`${shown} takes no value (got '${inline}')`);
      }
      if (spec.value === undefined) set(spec, shown, inline !== "false");
      else if (inline !== "false") set(spec, shown, spec.value);
      continue;
    }
    let raw = inline;
    if (raw === undefined) {
      const next = argv[i + 1];
      if (spec.bare !== undefined && (next === undefined || isOption(next) || !accepts(spec, next))) {
        set(spec, shown, spec.bare);
        continue;
      }
      if (next === undefined) {
        throw new UsageError(`${shown} needs a value${spec.arg ? ` (${spec.arg})` : ""}`);
      }
      raw = argv[++i];
    }
    const value = convert(spec, raw, shown);
    if (spec.kind === "list") {
      const list = (values[spec.key] as string[] | undefined) ?? [];
      const raws = [value as string];
      while (
        spec.multiple && inline === undefined && i + 1 < argv.length && !argv[i + 1].startsWith("-") &&
        !argv[i + 1].includes("://")
      ) {
        raws.push(argv[++i]);
      }
      for (const one of raws) {
        if (spec.splitCommas === false) list.push(one);
        else list.push(...one.split(",").filter((part) => part !== ""));
      }
      set(spec, shown, list);
    } else {
      set(spec, shown, value);
    }
  }
  return { values, positionals, rest: [] };
}

/** True when `raw` is a valid value of `spec` (for options whose value may be left out). */
function accepts(spec: OptionSpec, raw: string): boolean {
  try {
    convert(spec, raw, "");
    return true;
  } catch {
    return false;
  }
}

function convert(spec: OptionSpec, typed: string, shown: string): string | number {
  let raw = spec.normalize ? spec.normalize(typed) : typed;
  if (spec.choices) {
    // Case does not matter (RIOT's --mode LIVE, --progress LOG); the spelling of the choice is kept.
    const choice = spec.choices.find((one) => one.toLowerCase() === raw.toLowerCase());
    if (choice === undefined) {
      throw new UsageError(`${shown} must be one of ${spec.choices.join(", ")} (got '${typed}')`);
    }
    raw = choice;
  }
  let value: number;
  switch (spec.kind) {
    case "string":
    case "list":
      return raw;
    case "int":
      value = Number(raw);
      if (!/^-?\d+$/.test(raw)) throw new UsageError(`${shown} must be a whole number (got '${raw}')`);
      break;
    case "number":
      value = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(value)) {
        throw new UsageError(`${shown} must be a number (got '${raw}')`);
      }
      break;
    case "bytes":
      value = parseBytes(raw, shown);
      break;
    case "duration":
      value = parseDuration(raw, shown, spec.unit);
      break;
    default:
      return raw;
  }
  if (spec.min !== undefined && value < spec.min) {
    throw new UsageError(`${shown} must be at least ${spec.min}${spec.kind === "duration" ? "ms" : ""}`);
  }
  if (spec.max !== undefined && value > spec.max) {
    throw new UsageError(`${shown} must be at most ${spec.max}${spec.kind === "duration" ? "ms" : ""}`);
  }
  return value;
}

/** "512", "10kb", "64MB", "1GiB" -> bytes. */
export function parseBytes(raw: string, shown: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?$/i.exec(raw.trim());
  if (!match) throw new UsageError(`${shown} must be a size such as 1048576, 512kb or 10mb (got '${raw}')`);
  const unit = (match[2] ?? "").toLowerCase().replace(/i?b$/, "");
  const scale = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[unit] ?? NaN;
  return Math.round(Number(match[1]) * scale);
}

/** "500" (in `unit`, ms by default), "500ms", "2s", "1m", "1h" -> milliseconds. */
export function parseDuration(raw: string, shown: string, unit: "ms" | "s" = "ms"): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/i.exec(raw.trim());
  if (!match) {
    const bare = unit === "ms" ? "500 (ms)" : "30 (seconds)";
    throw new UsageError(`${shown} must be a duration such as ${bare}, 500ms, 2s or 1m (got '${raw}')`);
  }
  const scale = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? unit).toLowerCase()]!;
  return Math.round(Number(match[1]) * scale);
}

function unknownOption(name: string, context: string, specs: readonly OptionSpec[]): UsageError {
  const bare = name.replace(/^-+/, "");
  const close = specs.find((spec) => spec.long.startsWith(bare) || bare.startsWith(spec.long));
  const hint = close ? ` Did you mean --${close.long}?` : "";
  return new UsageError(`Unknown option ${name} for '${context}'.${hint} See '${context} --help'.`);
}

/** Help lines for a list of options. */
export function formatOptions(specs: readonly OptionSpec[]): string {
  const rows = specs.map((spec) => {
    const names = `${spec.short ? `-${spec.short}, ` : "    "}--${spec.long}${
      spec.arg ? ` ${spec.arg}` : ""
    }`;
    const also = spec.aliases?.length
      ? ` (also ${spec.aliases.map((alias) => `--${alias}`).join(", ")})`
      : "";
    const extra = `${also}${spec.defaultText ? ` (default: ${spec.defaultText})` : ""}`;
    return [names, `${spec.help}${extra}`];
  });
  const width = Math.min(34, Math.max(...rows.map(([names]) => names.length)) + 2);
  return rows.map(([names, help]) =>
    names.length >= width ? `  ${names}\n  ${" ".repeat(width)}${help}` : `  ${names.padEnd(width)}${help}`
  ).join("\n");
}

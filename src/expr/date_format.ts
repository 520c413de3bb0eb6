/**
 * `--date-format`: Java-style date patterns as RIOT's users write them (`yyyy-MM-dd HH:mm:ss`,
 * `dd/MM/yyyy`, `yyyy-MM-dd'T'HH:mm:ss.SSSXXX`). `compileDateFormat(pattern)` checks the pattern once
 * (RangeError naming the letter it does not know); the result's `parse(text)` returns unix milliseconds or
 * NaN when the text does not match.
 *
 * Letters: y (year), M (month, 1-12, or MMM/MMMM names), d (day), H (hour 0-23), h + a (12-hour clock),
 * m, s, S (fraction), X / Z / XXX (zone: Z, +hh, +hhmm, +hh:mm). 'quoted' text and other characters match
 * themselves. Without a zone in the text, times are UTC (so an import gives the same numbers on every
 * machine). Without --date-format, ISO 8601 dates and date-times are read.
 */
export interface DateFormat {
  readonly pattern: string;
  parse(text: string): number;
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

type Part = "year" | "month" | "day" | "hour" | "hour12" | "ampm" | "minute" | "second" | "fraction" | "zone";

export function compileDateFormat(pattern: string): DateFormat {
  let regex = "";
  const parts: Part[] = [];
  for (let at = 0; at < pattern.length;) {
    const char = pattern[at];
    if (char === "'") {
      const end = pattern.indexOf("'", at + 1);
      if (end === -1) throw new RangeError(`unterminated quote in the date format '${pattern}'`);
      regex += end === at + 1 ? "'" : escape(pattern.slice(at + 1, end));
      at = end + 1;
      continue;
    }
    let run = 1;
    while (pattern[at + run] === char) run++;
    at += run;
    if (!/[A-Za-z]/.test(char)) {
      regex += escape(char.repeat(run));
      continue;
    }
    const part = letterPart(char, run, pattern);
    parts.push(part);
    regex += partRegex(part, run);
  }
  const compiled = new RegExp(`^\\s*${regex}\\s*$`, "i");
  return {
    pattern,
    parse: (text) => {
      const match = compiled.exec(text);
      return match ? toMillis(parts, match.slice(1)) : NaN;
    },
  };
}

/** ISO 8601 (2024-01-31, 2024-01-31T10:00:00Z, with a space instead of T); UTC when no zone is given. */
export function parseIsoDate(text: string): number {
  const iso =
    /^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?\s*$/i
      .exec(text);
  if (!iso) return NaN;
  const [, y, mo, d, h = "0", mi = "0", s = "0", f = "0", zone] = iso;
  return toMillis(
    ["year", "month", "day", "hour", "minute", "second", "fraction", "zone"],
    [y, mo, d, h, mi, s, f, zone ?? ""],
  );
}

function letterPart(char: string, run: number, pattern: string): Part {
  switch (char) {
    case "y":
    case "u":
      return "year";
    case "M":
    case "L":
      return "month";
    case "d":
      return "day";
    case "H":
      return "hour";
    case "h":
      return "hour12";
    case "a":
      return "ampm";
    case "m":
      return "minute";
    case "s":
      return "second";
    case "S":
      return "fraction";
    case "X":
    case "Z":
    case "x":
      return "zone";
  }
  throw new RangeError(`the date format '${pattern}' has '${char.repeat(run)}', which riot does not read`);
}

function partRegex(part: Part, run: number): string {
  switch (part) {
    case "year":
      return run === 2 ? "(\\d{2})" : "(\\d{4})";
    case "month":
      return run >= 3 ? "([A-Za-z]{3,9})" : run === 2 ? "(\\d{2})" : "(\\d{1,2})";
    case "fraction":
      return `(\\d{1,${Math.max(run, 9)}})`;
    case "ampm":
      return "(AM|PM)";
    case "zone":
      return "(Z|[+-]\\d{2}(?::?\\d{2})?)";
    default:
      return run === 2 ? "(\\d{2})" : "(\\d{1,2})";
  }
}

function toMillis(parts: Part[], values: string[]): number {
  const at: Record<Part, number> = {
    year: 1970,
    month: 1,
    day: 1,
    hour: 0,
    hour12: -1,
    ampm: 0,
    minute: 0,
    second: 0,
    fraction: 0,
    zone: 0,
  };
  for (let i = 0; i < parts.length; i++) {
    const text = values[i];
    switch (parts[i]) {
      case "month":
        at.month = /^\d+$/.test(text) ? Number(text) : MONTHS.indexOf(text.slice(0, 3).toLowerCase()) + 1;
        break;
      case "year":
        at.year = text.length === 2 ? 2000 + Number(text) : Number(text);
        break;
      case "fraction":
        at.fraction = Number(`0.${text}`) * 1000;
        break;
      case "ampm":
        at.ampm = text.toUpperCase() === "PM" ? 12 : 0;
        break;
      case "zone":
        at.zone = zoneMinutes(text);
        break;
      default:
        at[parts[i]] = Number(text);
    }
  }
  if (at.hour12 >= 0) at.hour = (at.hour12 % 12) + at.ampm;
  if (at.month < 1 || at.month > 12 || at.day < 1 || at.day > 31 || at.hour > 23 || at.minute > 59) {
    return NaN;
  }
  if (at.second > 60) return NaN;
  const utc = Date.UTC(at.year, at.month - 1, at.day, at.hour, at.minute, at.second, Math.floor(at.fraction));
  return utc - at.zone * 60_000;
}

function zoneMinutes(text: string): number {
  if (text === "" || text.toUpperCase() === "Z") return 0;
  const digits = text.slice(1).replace(":", "");
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || "0");
  return text[0] === "-" ? -minutes : minutes;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Zset scores as text and back without loss. ZADD parses scores with strtod, which is correctly rounded, so
 * the shortest decimal that reads back as the same double (what JavaScript's `String(number)` gives) is
 * exact. Three cases need care: -0 (JavaScript prints "0"), the infinities (strtod wants "inf"), and NaN
 * (no zset can hold it).
 */
import { asciiBytes } from "./ascii.ts";
import { corrupt } from "./errors.ts";

const latin1 = new TextDecoder("latin1");
/** Decimal floating point as Redis writes scores (d2string / %.17g / fpconv): no hex, no spaces. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Texts up to this long are read char by char: cheaper than a TextDecoder call. */
const SHORT = 32;

function shortLatin1(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
  return text;
}

/** The shortest decimal text for `score` that strtod reads back as exactly `score`. */
export function formatScore(score: number): string {
  if (Number.isNaN(score)) corrupt("A zset score is NaN");
  if (score === Infinity) return "inf";
  if (score === -Infinity) return "-inf";
  if (score === 0) return Object.is(score, -0) ? "-0" : "0";
  return String(score);
}

export function scoreBytes(score: number): Uint8Array {
  return asciiBytes(formatScore(score));
}

/** A score stored as text in a listpack ("1.5", "inf", "-inf", "1e-300"); `corrupt` on anything else. */
export function parseScoreText(text: Uint8Array): number {
  const s = text.length <= SHORT ? shortLatin1(text) : latin1.decode(text);
  const lower = s.toLowerCase();
  if (lower === "inf" || lower === "+inf" || lower === "infinity" || lower === "+infinity") return Infinity;
  if (lower === "-inf" || lower === "-infinity") return -Infinity;
  if (!DECIMAL.test(s)) corrupt(`Zset score "${s.slice(0, 40)}" is not a number`);
  return Number(s);
}

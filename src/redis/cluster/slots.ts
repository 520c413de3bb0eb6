/**
 * Redis Cluster hash slots: which of the 16384 slots a key belongs to, slot range lists as users write them
 * (`0-5460,10923-16383`), and `--partition I/N` (range I of N equal ranges).
 *
 * Pure: no I/O. Keys are raw bytes and are hashed as bytes, never decoded. Parse failures throw an
 * OptionError whose message is one line: what is wrong and what to write instead.
 */
import { OptionError } from "../options.ts";

export const SLOT_COUNT = 16384;

/** An inclusive range of slots, `start <= end`. */
export interface SlotRange {
  start: number;
  end: number;
}

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
    table[byte] = crc;
  }
  return table;
})();

/** CRC16-XMODEM (polynomial 0x1021, initial value 0) of `bytes[start, end)`. */
export function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ bytes[i]) & 0xff];
  return crc;
}

const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }

/**
 * The slot of a key. When the key has a `{` followed later by a `}` with at least one byte between them
 * (the first `{` and the first `}` after it), only those bytes are hashed; otherwise the whole key.
 */
export function slotOf(key: Uint8Array): number {
  const open = key.indexOf(OPEN);
  if (open !== -1) {
    const close = key.indexOf(CLOSE, open + 1);
    if (close > open + 1) return crc16(key, open + 1, close) & (SLOT_COUNT - 1);
  }
  return crc16(key) & (SLOT_COUNT - 1);
}

/** `slotOf` for keys given as text (UTF-8), for tests and callers that hold strings. */
export function slotOfText(key: string): number {
  return slotOf(new TextEncoder().encode(key));
}

/**
 * Parse `0-5460,10923-16383` (single slots like `42` allowed, spaces around items ignored) into ranges
 * sorted by start, overlapping and adjacent ranges merged. `option` names the flag in error messages.
 */
export function parseSlotRanges(text: string, option = "--key-slots"): SlotRange[] {
  const items = text.split(",").map((item) => item.trim());
  if (items.length === 1 && items[0] === "") {
    throw new OptionError(`${option} is empty: give slot ranges such as 0-5460,10923-16383`);
  }
  const ranges: SlotRange[] = [];
  for (const item of items) {
    const match = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(item);
    if (!match) {
      throw new OptionError(
        `${option}: '${item}' is not a slot or slot range: write N or N-M, comma-separated (e.g. 0-5460,10923-16383)`,
      );
    }
    const start = Number(match[1]);
    const end = match[2] === undefined ? start : Number(match[2]);
    if (start >= SLOT_COUNT || end >= SLOT_COUNT) {
      throw new OptionError(`${option}: '${item}' is outside the slots 0-${SLOT_COUNT - 1}`);
    }
    if (start > end) {
      throw new OptionError(`${option}: '${item}' ends before it starts: write ${end}-${start}`);
    }
    ranges.push({ start, end });
  }
  return mergeRanges(ranges);
}

/** Sorted by start, with overlapping and adjacent ranges joined. */
export function mergeRanges(ranges: readonly SlotRange[]): SlotRange[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out: SlotRange[] = [];
  for (const range of sorted) {
    const last = out[out.length - 1];
    if (last && range.start <= last.end + 1) last.end = Math.max(last.end, range.end);
    else out.push({ ...range });
  }
  return out;
}

/** `0-5460,10923-16383`: the form `parseSlotRanges` reads. */
export function formatSlotRanges(ranges: readonly SlotRange[]): string {
  return ranges.map(({ start, end }) => (start === end ? `${start}` : `${start}-${end}`)).join(",");
}

/** Number of slots the ranges cover (ranges must not overlap: merge them first). */
export function countSlots(ranges: readonly SlotRange[]): number {
  return ranges.reduce((sum, { start, end }) => sum + end - start + 1, 0);
}

/** A membership test over slots: one byte per slot, built once. */
export class SlotSet {
  private readonly member = new Uint8Array(SLOT_COUNT);

  constructor(readonly ranges: readonly SlotRange[]) {
    for (const { start, end } of ranges) this.member.fill(1, start, end + 1);
  }

  has(slot: number): boolean {
    return this.member[slot] === 1;
  }

  /** True when the key's slot is in the set. */
  hasKey(key: Uint8Array): boolean {
    return this.member[slotOf(key)] === 1;
  }
}

/** Slot range `index` (from 0) of `count` equal ranges; the sizes differ by at most one slot. */
export function partitionRange(index: number, count: number): SlotRange {
  return {
    start: Math.floor((index * SLOT_COUNT) / count),
    end: Math.floor(((index + 1) * SLOT_COUNT) / count) - 1,
  };
}

export interface Partition {
  index: number;
  count: number;
  range: SlotRange;
}

/**
 * Parse `--partition I/N`: range I (from 0) of N equal slot ranges, 1 <= N <= 16384. `I` may be `auto`:
 * the index is then read from `JOB_COMPLETION_INDEX` in `env` (what a Kubernetes indexed Job sets).
 */
export function parsePartition(
  text: string,
  env: { get(name: string): string | undefined },
  option = "--partition",
): Partition {
  const match = /^\s*(auto|\d+)\s*\/\s*(\d+)\s*$/i.exec(text);
  if (!match) {
    throw new OptionError(`${option} '${text}' is not I/N: write e.g. 0/4 (range 0 of 4), or auto/4`);
  }
  const count = Number(match[2]);
  if (count < 1 || count > SLOT_COUNT) {
    throw new OptionError(`${option} ${text}: N must be between 1 and ${SLOT_COUNT}`);
  }
  let indexText = match[1];
  let source = "";
  if (indexText.toLowerCase() === "auto") {
    const fromEnv = env.get("JOB_COMPLETION_INDEX");
    if (fromEnv === undefined || fromEnv.trim() === "") {
      throw new OptionError(
        `${option} auto/${count} needs JOB_COMPLETION_INDEX (set in each pod of a Kubernetes indexed Job): set it, or give the index, e.g. ${option} 0/${count}`,
      );
    }
    indexText = fromEnv.trim();
    source = ` (JOB_COMPLETION_INDEX=${fromEnv})`;
    if (!/^\d+$/.test(indexText)) {
      throw new OptionError(`${option} auto/${count}: JOB_COMPLETION_INDEX=${fromEnv} is not a number`);
    }
  }
  const index = Number(indexText);
  if (index >= count) {
    throw new OptionError(
      `${option}: index ${index}${source} is not below ${count}: indexes run from 0 to ${count - 1}`,
    );
  }
  return { index, count, range: partitionRange(index, count) };
}

let tagsBySlot: string[] | undefined;

/**
 * A short text whose slot is `slot` (the smallest decimal number that hashes there), for hash tags that
 * pin a key to a slot. The table of all 16384 is built on first use (~170k CRCs, once).
 */
export function hashTagForSlot(slot: number): string {
  if (!tagsBySlot) {
    const table: string[] = new Array(SLOT_COUNT);
    let found = 0;
    const encoder = new TextEncoder();
    for (let n = 0; found < SLOT_COUNT; n++) {
      const text = String(n);
      const at = crc16(encoder.encode(text)) & (SLOT_COUNT - 1);
      if (table[at] === undefined) {
        table[at] = text;
        found++;
      }
    }
    tagsBySlot = table;
  }
  return tagsBySlot[slot];
}

const utf8 = new TextEncoder();

/**
 * A temporary key in the same slot as `key` (so a cluster accepts `RENAME temp key`):
 * `{<tag>}<prefix><suffix>`, where the tag hashes to the key's slot. Works for every key, hash tag or not,
 * braces or not.
 */
export function tempKeyFor(key: Uint8Array, suffix: string, prefix = "riot:tmp:"): Uint8Array {
  return utf8.encode(`{${hashTagForSlot(slotOf(key))}}${prefix}${suffix}`);
}

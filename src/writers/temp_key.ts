/**
 * Temporary key names for type-based writes: a key is rebuilt under a temporary name, then RENAMEd over
 * its real name, so no reader sees it half-written. The temporary name hashes to the same cluster slot as
 * the real key (RENAME needs both in one slot): it starts with the key's hash tag `{tag}`, or with `{key}`
 * when the key has no tag, or, for an empty key or one without a tag that contains `}` (neither can be
 * wrapped), with a
 * short tag found to hash to the same slot.
 *
 * Names end in a random 64-bit prefix drawn once per process and a counter, so two writers, two runs or a
 * retry never share one. The CRC16 here is the cluster's (XMODEM) and can move to the cluster module's copy
 * once merged.
 */

import { smallBytes } from "../rdb/small_bytes.ts";

const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }
const SLOTS = 16384;
const encoder = new TextEncoder();
const RUN = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0"))
  .join("");
/** `riot:tmp:<RUN>:`, the part of every temporary name after the tag. */
const SUFFIX = encoder.encode(`riot:tmp:${RUN}:`);
let counter = 0;

/** A fresh temporary name in the same slot as `key`. */
export function tempKeyFor(key: Uint8Array): Uint8Array {
  const tag = hashTag(key) ?? (key.length === 0 || key.includes(CLOSE) ? slotTag(slotOf(key)) : key);
  const count = (counter++).toString(36); // ASCII: copied by hand, cheaper than a TextEncoder call per key
  const head = tag.length + 2 + SUFFIX.length;
  const out = smallBytes(head + count.length);
  out[0] = OPEN;
  out.set(tag, 1);
  out[tag.length + 1] = CLOSE;
  out.set(SUFFIX, tag.length + 2);
  for (let i = 0; i < count.length; i++) out[head + i] = count.charCodeAt(i);
  return out;
}

/** The bytes between the first `{` and the first `}` after it, when there is at least one; else undefined. */
export function hashTag(key: Uint8Array): Uint8Array | undefined {
  const open = key.indexOf(OPEN);
  if (open < 0) return undefined;
  const close = key.indexOf(CLOSE, open + 1);
  if (close < 0 || close === open + 1) return undefined;
  return key.subarray(open + 1, close);
}

/** The cluster slot of a key (its hash tag's, when it has one). */
export function slotOf(key: Uint8Array): number {
  return crc16(hashTag(key) ?? key) % SLOTS;
}

const slotTags = new Map<number, Uint8Array>();

/** A short tag without braces whose slot is `slot` (searched once per slot, then remembered). */
function slotTag(slot: number): Uint8Array {
  let tag = slotTags.get(slot);
  for (let n = 0; tag === undefined; n++) {
    const candidate = encoder.encode(`riot${n.toString(36)}`);
    if (crc16(candidate) % SLOTS === slot) tag = candidate;
  }
  slotTags.set(slot, tag);
  return tag;
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

/** CRC16-XMODEM (polynomial 0x1021, initial 0), the hash of Redis Cluster slots. */
function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ byte) & 0xff];
  return crc;
}

/**
 * What a server holds, read by the test itself (never by riot): every key of a database with its type, its
 * `DEBUG DIGEST-VALUE` (the server's own hash of the value, independent of the encoding) and its
 * `PEXPIRETIME`. `assertSameData` compares two servers key by key. The servers of `_server.ts` run with
 * `enable-debug-command yes`, which DEBUG DIGEST-VALUE needs.
 */
import assert from "node:assert/strict";
import { ErrorReply, type RespValue, toText } from "../resp/mod.ts";
import { raw } from "./_replicate_util.ts";

export interface KeyState {
  key: Uint8Array;
  type: string;
  digest: string;
  /** PEXPIRETIME: absolute unix ms, -1 without expiry. */
  expireAt: number;
}

type Endpoint = { host: string; port: number };

/** Keys are binary: one char per byte, so every key has its own id. */
function idOf(key: Uint8Array): string {
  let out = "";
  for (const byte of key) out += String.fromCharCode(byte);
  return out;
}

/** A key for messages: text when printable ASCII, else its bytes in hex. */
export function showKey(key: Uint8Array): string {
  return key.every((byte) => byte >= 0x20 && byte < 0x7f) ? toText(key) : `0x${hex(key)}`;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Every key of `db` on `server` (SCAN), with type, digest and expiry, by key id. */
export async function dataOf(server: Endpoint, db = 0): Promise<Map<string, KeyState>> {
  const connection = await raw(server, db);
  try {
    const keys: Uint8Array[] = [];
    const seen = new Set<string>();
    let cursor = "0";
    do {
      const [next, batch] = await connection.call("SCAN", cursor, "COUNT", 1000) as [RespValue, Uint8Array[]];
      cursor = toText(next);
      for (const key of batch) {
        if (!seen.has(idOf(key))) keys.push(key);
        seen.add(idOf(key));
      }
    } while (cursor !== "0");
    const state = new Map<string, KeyState>();
    for (let i = 0; i < keys.length; i += 1000) {
      const slice = keys.slice(i, i + 1000);
      const replies = await connection.pipelineKeys(
        [["TYPE"], ["DEBUG", "DIGEST-VALUE"], ["PEXPIRETIME"]],
        slice,
      );
      slice.forEach((key, j) => {
        const [type, digest, expireAt] = replies.slice(3 * j, 3 * j + 3);
        for (const reply of [type, digest, expireAt]) {
          if (reply instanceof ErrorReply) throw new Error(`${showKey(key)}: ${reply.message}`);
        }
        const digestText = toText(Array.isArray(digest) ? digest[0] : digest);
        state.set(idOf(key), { key, type: toText(type), digest: digestText, expireAt: Number(expireAt) });
      });
    }
    return state;
  } finally {
    connection.close();
  }
}

export interface SameDataOptions {
  /** Database on both servers (0). */
  db?: number;
  /** Largest difference of expiry allowed, in ms (0: equal to the millisecond). */
  ttlToleranceMs?: number;
  /** When given, the number of keys both sides must have (guards against two empty servers). */
  count?: number;
  /** When given, only these source keys are expected on the target (a filtered copy), and nothing else. */
  keys?: string[];
}

/**
 * Asserts that `target` holds exactly the keys of `source` in `db`, each with the same type, the same
 * DEBUG DIGEST-VALUE and the same expiry (within the tolerance). Lists the first differing keys on failure.
 */
export async function assertSameData(
  source: Endpoint,
  target: Endpoint,
  options: SameDataOptions = {},
): Promise<void> {
  const [all, right] = await Promise.all([dataOf(source, options.db), dataOf(target, options.db)]);
  let left = all;
  if (options.keys !== undefined) {
    left = new Map();
    for (const name of options.keys) {
      const id = idOf(new TextEncoder().encode(name));
      const state = all.get(id);
      assert.ok(state, `${name} is not on the source`);
      left.set(id, state);
    }
  }
  assertSameStates(left, right, options.ttlToleranceMs ?? 0);
  if (options.count !== undefined) assert.equal(left.size, options.count, "keys on the source");
}

/**
 * Asserts that `right` holds exactly the keys of `left` (from dataOf), each with the same type, digest and
 * expiry (within `tolerance` ms). Lists the first differing keys on failure.
 */
export function assertSameStates(
  left: Map<string, KeyState>,
  right: Map<string, KeyState>,
  tolerance = 0,
): void {
  const problems: string[] = [];
  for (const [id, a] of left) {
    const b = right.get(id);
    if (!b) problems.push(`${showKey(a.key)}: missing on the target`);
    else if (a.type !== b.type) problems.push(`${showKey(a.key)}: type ${a.type} -> ${b.type}`);
    else if (a.digest !== b.digest) problems.push(`${showKey(a.key)}: digest ${a.digest} -> ${b.digest}`);
    else if (
      (a.expireAt === -1 || b.expireAt === -1)
        ? a.expireAt !== b.expireAt
        : Math.abs(a.expireAt - b.expireAt) > tolerance
    ) {
      problems.push(`${showKey(a.key)}: PEXPIRETIME ${a.expireAt} -> ${b.expireAt}`);
    }
  }
  for (const [id, b] of right) if (!left.has(id)) problems.push(`${showKey(b.key)}: only on the target`);
  assert.deepEqual(problems.slice(0, 20), [], `${problems.length} key(s) differ`);
  assert.equal(right.size, left.size);
}

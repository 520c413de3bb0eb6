/**
 * Data compared across server versions by the test's own reads: DUMP payloads and DEBUG DIGEST-VALUE may
 * differ between Redis 7.0, 8.0 and Valkey for the same data, so each key is read with its type's commands
 * (`serverSnapshot` of _rdb_fixtures.ts) on both sides, with its PEXPIRETIME. The key sets must be equal too.
 */
import assert from "node:assert/strict";
import { type RespValue, toText } from "../resp/mod.ts";
import { type Features, serverSnapshot, text } from "./_rdb_fixtures.ts";
import { raw } from "./_replicate_util.ts";

type Server = { host: string; port: number };

/** Every key of `db` on `server`, as text (the fixtures' keys are text), sorted. */
async function keysIn(server: Server, db: number): Promise<string[]> {
  const conn = await raw(server, db);
  try {
    const keys = new Set<string>();
    let cursor = "0";
    do {
      const [next, batch] = await conn.call("SCAN", cursor, "COUNT", 1000) as [RespValue, Uint8Array[]];
      cursor = toText(next);
      for (const key of batch) keys.add(text(key));
    } while (cursor !== "0");
    return [...keys].sort();
  } finally {
    conn.close();
  }
}

/** Same keys in `db`, same values by type, same expiry to the millisecond. */
export async function assertSameByType(
  source: Server,
  target: Server,
  db: number,
  features: Features,
): Promise<number> {
  const keys = await keysIn(source, db);
  assert.deepEqual(await keysIn(target, db), keys, `the keys of database ${db}`);
  const from = await raw(source, db);
  const to = await raw(target, db);
  try {
    for (const key of keys) {
      assert.deepStrictEqual(
        await serverSnapshot(to, key, features),
        await serverSnapshot(from, key, features),
        `${key} (db ${db}) differs`,
      );
      assert.equal(await to.call("PEXPIRETIME", key), await from.call("PEXPIRETIME", key), `${key} expiry`);
    }
  } finally {
    from.close();
    to.close();
  }
  return keys.length;
}

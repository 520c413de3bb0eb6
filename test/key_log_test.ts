/** KeyLog (src/pipeline/key_log.ts): keys kept in order, duplicates included, memory bounded. Pure. */
import assert from "node:assert/strict";
import { KeyLog } from "../src/pipeline/key_log.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (key: Uint8Array) => new TextDecoder().decode(key);

Deno.test({
  name: "KeyLog.pages() yields the added keys in order, duplicates and empty keys included",
  permissions: "none",
  fn() {
    const log = new KeyLog(1 << 20);
    const keys = ["a", "", "b\x00c", "a", "x".repeat(300)].map(bytes);
    log.add(keys.slice(0, 2));
    log.add(keys.slice(2));
    keys[0][0] = 0x7a; // the caller may reuse its arrays: the log holds copies
    assert.equal(log.size, 5);
    const pages = [...log.pages(2)];
    assert.deepEqual(pages.map((page) => page.length), [2, 2, 1]);
    assert.deepEqual(pages.flat().map(text), ["a", "", "b\x00c", "a", "x".repeat(300)]);
  },
});

Deno.test({
  name: "KeyLog keeps keys across chunks (a key bigger than a chunk, 300 k small keys)",
  permissions: "none",
  fn() {
    const log = new KeyLog(64 << 20);
    const big = new Uint8Array(3 << 20).fill(7);
    log.add([bytes("first"), big]);
    for (let i = 0; i < 300_000; i += 1000) {
      log.add(Array.from({ length: 1000 }, (_, j) => bytes(`k${i + j}`)));
    }
    assert.equal(log.size, 300_002);
    const all = [...log.pages(1000)].flat();
    assert.equal(text(all[0]), "first");
    assert.deepEqual(all[1], big);
    assert.equal(text(all[2]), "k0");
    assert.equal(text(all[300_001]), "k299999");
  },
});

Deno.test({
  name: "KeyLog over its budget drops every key and stays off; clear() empties a log that stays on",
  permissions: "none",
  fn() {
    const log = new KeyLog(20); // key bytes + 4 per key
    log.add([bytes("abcd"), bytes("efgh")]); // 16 bytes
    assert.equal(log.size, 2);
    log.clear();
    assert.equal(log.size, 0);
    assert.equal(log.overflowed, false);
    log.add([bytes("abcd"), bytes("efgh")]);
    log.add([bytes("ijkl")]); // 24 > 20
    assert.equal(log.overflowed, true);
    assert.equal(log.size, 0);
    assert.deepEqual([...log.pages(10)], []);
    log.add([bytes("m")]);
    assert.equal(log.size, 0);
  },
});

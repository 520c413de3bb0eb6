/** tempKeyFor(): temporary names in the real key's cluster slot, fresh every time. Pure. */
import assert from "node:assert/strict";
import { hashTag, slotOf, tempKeyFor } from "../src/writers/temp_key.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

Deno.test({
  name: "slotOf() is CRC16-XMODEM mod 16384, of the hash tag when there is one",
  permissions: "none",
  fn() {
    assert.equal(slotOf(bytes("123456789")), 0x31c3 % 16384);
    assert.equal(slotOf(bytes("{user1000}.following")), slotOf(bytes("user1000")));
    assert.equal(slotOf(bytes("foo{}{bar}")), slotOf(bytes("foo{}{bar}")));
    assert.equal(hashTag(bytes("foo{}{bar}")), undefined); // empty first tag: the whole key hashes
    assert.equal(text(hashTag(bytes("foo{{bar}}zap"))!), "{bar");
  },
});

Deno.test({
  name: "tempKeyFor() keeps the slot of tagged, untagged, '}'-only and binary keys, and never repeats",
  permissions: "none",
  fn() {
    const keys = [
      bytes("plain"),
      bytes("{tag}rest"),
      bytes("a}b"),
      bytes("}{"),
      bytes("x{}y"),
      Uint8Array.of(0, 0x7d, 0xff, 0x7b),
      new Uint8Array(0),
    ];
    const seen = new Set<string>();
    for (const key of keys) {
      for (let i = 0; i < 3; i++) {
        const temp = tempKeyFor(key);
        assert.equal(slotOf(temp), slotOf(key), `slot of ${text(temp)}`);
        assert.ok(text(temp).includes("riot:tmp:"));
        // A key with a hash tag lends it to its temporary name as it is (`{tag}...`): the same tag, so the
        // same slot whatever the cluster, and RENAME onto the key is never CROSSSLOT.
        const tag = hashTag(key);
        if (tag) assert.deepEqual(hashTag(temp), tag, `tag of ${text(temp)}`);
        assert.ok(!seen.has(text(temp)), "fresh name");
        seen.add(text(temp));
      }
    }
  },
});

/** slots.ts: CRC16, hash tags, slot range lists, --partition. Pure, so these run with permissions "none". */

import assert from "node:assert/strict";
import { OptionError } from "../src/redis/options.ts";
import {
  countSlots,
  crc16,
  formatSlotRanges,
  hashTagForSlot,
  parsePartition,
  parseSlotRanges,
  partitionRange,
  SLOT_COUNT,
  slotOf,
  slotOfText,
  SlotSet,
  tempKeyFor,
} from "../src/redis/cluster/slots.ts";

const permissions = "none" as const;
const bytes = (text: string) => new TextEncoder().encode(text);
const env = (vars: Record<string, string>) => ({ get: (name: string) => vars[name] });

Deno.test({
  name: "crc16() is CRC16-XMODEM: '123456789' gives 0x31C3, empty gives 0",
  permissions,
  fn() {
    assert.equal(crc16(bytes("123456789")), 0x31c3);
    assert.equal(crc16(new Uint8Array()), 0);
  },
});

/** Slots as Redis' CLUSTER KEYSLOT gives them (checked against a 7.0 server). */
const SLOT_CASES: { key: string; slot: number }[] = [
  { key: "123456789", slot: 0x31c3 & 16383 },
  { key: "foo", slot: 12182 },
  { key: "bar", slot: 5061 },
  { key: "hello", slot: 866 },
  { key: "", slot: 0 },
  // Hash tags: the bytes between the first { and the first } after it, when there is at least one.
  { key: "{user1000}.following", slot: 3443 },
  { key: "{user1000}.followers", slot: 3443 },
  { key: "user1000", slot: 3443 },
  { key: "foo{}{bar}", slot: 8363 }, // empty first tag: the whole key
  { key: "foo{{bar}}zap", slot: 4015 }, // tag is "{bar"
  { key: "foo{bar}{zap}", slot: 5061 }, // tag is "bar"
  { key: "{bar", slot: 4015 }, // no closing brace: the whole key
  { key: "bar}", slot: 6624 },
];

for (const { key, slot } of SLOT_CASES) {
  Deno.test({
    name: `slotOf() of '${key}' is ${slot}`,
    permissions,
    fn() {
      assert.equal(slotOfText(key), slot);
    },
  });
}

Deno.test({
  name: "slotOf() hashes raw bytes, not text: invalid UTF-8 keys have their own slots",
  permissions,
  fn() {
    const key = Uint8Array.from([0xff, 0xfe, 0x7b, 0x80, 0x7d]); // tag is the single byte 0x80
    assert.equal(slotOf(key), crc16(Uint8Array.of(0x80)) & 16383);
    assert.equal(slotOf(Uint8Array.of(0x80)), slotOf(key));
    assert.notEqual(slotOf(Uint8Array.of(0xc3, 0xa9)), slotOf(Uint8Array.of(0xe9)));
  },
});

const RANGE_CASES: { text: string; expected: string; slots: number }[] = [
  { text: "0-5460,10923-16383", expected: "0-5460,10923-16383", slots: 5461 + 5461 },
  { text: "42", expected: "42", slots: 1 },
  { text: " 1 - 3 , 7 ", expected: "1-3,7", slots: 4 },
  { text: "10-20,0-5,6-9", expected: "0-20", slots: 21 }, // sorted, adjacent ranges merged
  { text: "0-100,50-60", expected: "0-100", slots: 101 },
  { text: "0-16383", expected: "0-16383", slots: SLOT_COUNT },
  { text: "16383", expected: "16383", slots: 1 },
];

for (const { text, expected, slots } of RANGE_CASES) {
  Deno.test({
    name: `parseSlotRanges('${text}') is ${expected}`,
    permissions,
    fn() {
      const ranges = parseSlotRanges(text);
      assert.equal(formatSlotRanges(ranges), expected);
      assert.equal(countSlots(ranges), slots);
    },
  });
}

const BAD_RANGES: { text: string; message: RegExp }[] = [
  { text: "", message: /--key-slots is empty/ },
  { text: "16384", message: /'16384' is outside the slots 0-16383/ },
  { text: "0-16384", message: /outside the slots/ },
  { text: "10-5", message: /ends before it starts: write 5-10/ },
  { text: "a-b", message: /'a-b' is not a slot or slot range/ },
  { text: "1,,2", message: /'' is not a slot or slot range/ },
  { text: "-1", message: /not a slot or slot range/ },
  { text: "1-2-3", message: /not a slot or slot range/ },
];

for (const { text, message } of BAD_RANGES) {
  Deno.test({
    name: `parseSlotRanges('${text}') throws one OptionError line`,
    permissions,
    fn() {
      assert.throws(() => parseSlotRanges(text), (error: Error) => {
        assert.ok(error instanceof OptionError);
        assert.match(error.message, message);
        assert.ok(!error.message.includes("\n"));
        return true;
      });
    },
  });
}

Deno.test({
  name: "SlotSet.has() is true exactly inside the ranges (edges at N and N+1)",
  permissions,
  fn() {
    const set = new SlotSet(parseSlotRanges("0-5460,10923-16383"));
    assert.ok(set.has(0) && set.has(5460) && !set.has(5461));
    assert.ok(!set.has(10922) && set.has(10923) && set.has(16383));
    assert.ok(set.hasKey(bytes("123456789"))); // slot 12739
    assert.ok(set.hasKey(bytes("{user1000}x"))); // slot 3443
    assert.ok(!set.hasKey(bytes("foo{}{bar}"))); // slot 8363
  },
});

Deno.test({
  name: "partitionRange() splits 0-16383 into N contiguous ranges that cover every slot once",
  permissions,
  fn() {
    for (const count of [1, 2, 3, 4, 7, 10, 100, 16383, 16384]) {
      let next = 0;
      for (let i = 0; i < count; i++) {
        const { start, end } = partitionRange(i, count);
        assert.equal(start, next, `range ${i} of ${count}`);
        assert.ok(end >= start);
        const size = end - start + 1;
        assert.ok(size === Math.floor(SLOT_COUNT / count) || size === Math.ceil(SLOT_COUNT / count));
        next = end + 1;
      }
      assert.equal(next, SLOT_COUNT);
    }
    assert.deepEqual(partitionRange(0, 3), { start: 0, end: 5460 });
    assert.deepEqual(partitionRange(2, 3), { start: 10922, end: 16383 });
  },
});

const PARTITIONS: { text: string; vars?: Record<string, string>; index: number; count: number }[] = [
  { text: "0/4", index: 0, count: 4 },
  { text: "3/4", index: 3, count: 4 },
  { text: " 1 / 2 ", index: 1, count: 2 },
  { text: "auto/4", vars: { JOB_COMPLETION_INDEX: "2" }, index: 2, count: 4 },
  { text: "AUTO/1", vars: { JOB_COMPLETION_INDEX: "0" }, index: 0, count: 1 },
  { text: "16383/16384", index: 16383, count: 16384 },
];

for (const { text, vars, index, count } of PARTITIONS) {
  Deno.test({
    name: `parsePartition('${text}') is range ${index} of ${count}`,
    permissions,
    fn() {
      const partition = parsePartition(text, env(vars ?? {}));
      assert.equal(partition.index, index);
      assert.equal(partition.count, count);
      assert.deepEqual(partition.range, partitionRange(index, count));
    },
  });
}

const BAD_PARTITIONS: { text: string; vars?: Record<string, string>; message: RegExp }[] = [
  { text: "4/4", message: /index 4 is not below 4: indexes run from 0 to 3/ },
  { text: "0/0", message: /N must be between 1 and 16384/ },
  { text: "0/16385", message: /N must be between 1 and 16384/ },
  { text: "1-4", message: /is not I\/N/ },
  { text: "-1/4", message: /is not I\/N/ },
  { text: "auto/4", message: /needs JOB_COMPLETION_INDEX/ },
  { text: "auto/4", vars: { JOB_COMPLETION_INDEX: "x" }, message: /JOB_COMPLETION_INDEX=x is not a number/ },
  {
    text: "auto/4",
    vars: { JOB_COMPLETION_INDEX: "4" },
    message: /index 4 \(JOB_COMPLETION_INDEX=4\) is not below 4/,
  },
];

for (const { text, vars, message } of BAD_PARTITIONS) {
  Deno.test({
    name: `parsePartition('${text}'${
      vars ? ` with ${JSON.stringify(vars)}` : ""
    }) throws one OptionError line`,
    permissions,
    fn() {
      assert.throws(() => parsePartition(text, env(vars ?? {})), (error: Error) => {
        assert.ok(error instanceof OptionError);
        assert.match(error.message, message);
        assert.ok(!error.message.includes("\n"));
        return true;
      });
    },
  });
}

Deno.test({
  name: "SlotSet of --partition I/N for N = 2 and 4: every key is in exactly one partition",
  permissions,
  fn() {
    const keys = Array.from(
      { length: 10_000 },
      (_, i) => bytes(i % 7 === 0 ? `{user${i % 50}}:${i}` : `key:${i}`),
    );
    for (const count of [2, 4]) {
      const sets = Array.from(
        { length: count },
        (_, i) => new SlotSet([parsePartition(`${i}/${count}`, env({})).range]),
      );
      const hits = new Array(count).fill(0);
      for (const key of keys) {
        const owners = sets.filter((set) => set.hasKey(key));
        assert.equal(owners.length, 1);
        hits[sets.indexOf(owners[0])]++;
      }
      assert.equal(hits.reduce((a, b) => a + b, 0), keys.length);
      for (const hit of hits) assert.ok(hit > keys.length / count / 2, `partitions of ${count}: ${hits}`);
    }
  },
});

Deno.test({
  name: "hashTagForSlot() covers all 16384 slots; tempKeyFor() is in the key's slot, braces or not",
  permissions,
  fn() {
    for (let slot = 0; slot < SLOT_COUNT; slot++) assert.equal(slotOfText(hashTagForSlot(slot)), slot);
    const keys = ["plain", "{tag}x", "a}b", "}{", "{}", "{{x}}", "x{y", "\u00e9t\u00e9", ""].map(bytes);
    keys.push(Uint8Array.of(0xff, 0x7d, 0x7b, 0x00));
    for (const key of keys) {
      const temp = tempKeyFor(key, "42");
      assert.equal(slotOf(temp), slotOf(key), new TextDecoder().decode(key));
      assert.match(new TextDecoder().decode(temp), /^\{\d+\}riot:tmp:42$/);
    }
  },
});

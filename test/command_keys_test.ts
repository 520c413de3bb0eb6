/** keySpecOf(): where a command's key is, for routing by slot. Pure. */
import assert from "node:assert/strict";
import { keySpecOf } from "../src/redis/cluster/command_keys.ts";

Deno.test({
  name: "keySpecOf() finds the key after XGROUP's, XINFO's, MEMORY's and OBJECT's subcommand",
  permissions: "none",
  fn() {
    const key = { kind: "key", index: 2 };
    for (
      const sub of ["CREATE", "create", "SETID", "DESTROY", "CREATECONSUMER", "DELCONSUMER"]
    ) assert.deepEqual(keySpecOf(["XGROUP", sub, "stream", "g", "0"]), key, `XGROUP ${sub}`);
    assert.deepEqual(keySpecOf([new TextEncoder().encode("xgroup"), "CREATE", "s", "g", "$"]), key);
    assert.deepEqual(keySpecOf(["XGROUP", "HELP"]), { kind: "none" });
    assert.deepEqual(keySpecOf(["XINFO", "GROUPS", "s"]), key);
    assert.deepEqual(keySpecOf(["MEMORY", "USAGE", "k"]), key);
    assert.deepEqual(keySpecOf(["OBJECT", "ENCODING", "k"]), key);
  },
});

Deno.test({
  name: "keySpecOf(): key first for most commands, split for multi-key ones, keyless and per-node ones named",
  permissions: "none",
  fn() {
    assert.deepEqual(keySpecOf(["XSETID", "s", "5-0"]), { kind: "key", index: 1 });
    assert.deepEqual(keySpecOf(["RESTORE", "k", 0, "payload"]), { kind: "key", index: 1 });
    assert.deepEqual(keySpecOf(["DEL", "a", "b"]), { kind: "sum", from: 1 });
    assert.deepEqual(keySpecOf(["FUNCTION", "RESTORE", "payload"]), { kind: "none" });
    assert.equal(keySpecOf(["SCAN", "0"]).kind, "per-node");
    assert.deepEqual(keySpecOf(["EVAL", "return 1", 1, "k"]), { kind: "key", index: 3 });
  },
});

import assert from "node:assert/strict";
import { moduleTypeId, moduleTypeName } from "./module_name.ts";
import { RDB_TYPE } from "./types.ts";

function payloadOf(name: string, version: number): Uint8Array {
  const bytes = new Uint8Array(10);
  bytes[0] = RDB_TYPE.MODULE_2;
  bytes[1] = 0x81;
  new DataView(bytes.buffer).setBigUint64(2, moduleTypeId(name, version));
  return bytes;
}

Deno.test({
  name: "moduleTypeName() reads the names TYPE reports for RedisJSON, RedisBloom and TimeSeries",
  permissions: "none",
  fn() {
    for (const name of ["ReJSON-RL", "MBbloom--", "TSDB-TYPE", "CMSk-TYPE"]) {
      assert.equal(moduleTypeName(payloadOf(name, 3)), name);
    }
  },
});

Deno.test({
  name: "moduleTypeName() is undefined for a core type or a truncated id",
  permissions: "none",
  fn() {
    assert.equal(moduleTypeName(new Uint8Array([RDB_TYPE.STRING, 1, 0x61])), undefined);
    assert.equal(moduleTypeName(payloadOf("ReJSON-RL", 3).subarray(0, 6)), undefined);
  },
});

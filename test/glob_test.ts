/** globMatch() agrees with the server's own matching (KEYS), so client-side filters behave like SCAN MATCH. */
import assert from "node:assert/strict";
import { toText } from "../resp/mod.ts";
import { globMatch, keyFilter } from "../src/sources/glob.ts";
import { connect } from "../src/redis/connect.ts";
import { DEFAULT_CONNECTION } from "../src/redis/options.ts";
import { RedisServer, redisServerMissing } from "./_server.ts";

const encoder = new TextEncoder();
const KEYS = [
  "hello",
  "hallo",
  "hxllo",
  "hllo",
  "heeeello",
  "a",
  "b",
  "c",
  "-",
  "]",
  "[",
  "*",
  "?",
  "\\",
  "a-b",
  "a]",
  "user:1",
  "user:12",
  "user:x",
  "order:1",
  "ab",
  "abc",
  "x*y",
  "x?y",
  "",
  "^",
];
const PATTERNS = [
  "*",
  "h?llo",
  "h*llo",
  "h[ae]llo",
  "h[^e]llo",
  "h[a-b]llo",
  "[a-c]",
  "[c-a]",
  "[a-]",
  "[^a]",
  "a[",
  "[]",
  "\\*",
  "x\\*y",
  "x\\?y",
  "user:*",
  "user:?",
  "user:[0-9]*",
  "*:1",
  "[\\]]",
  "[\\-]",
  "a*b*c",
  "**",
  "[!a]",
];

Deno.test({
  name: "globMatch() matches exactly the keys that KEYS returns, for each pattern",
  ignore: !!redisServerMissing,
  async fn() {
    await using server = await RedisServer.start();
    const connection = await connect({ ...DEFAULT_CONNECTION, port: server.port });
    try {
      await connection.pipeline(KEYS.filter((key) => key !== "").map((key) => ["SET", key, "1"]));
      for (const pattern of PATTERNS) {
        const fromServer = ((await connection.call("KEYS", pattern)) as Uint8Array[]).map(toText).sort();
        const ours = KEYS.filter((key) =>
          key !== "" && globMatch(encoder.encode(pattern), encoder.encode(key))
        )
          .sort();
        assert.deepEqual(ours, fromServer, `pattern ${JSON.stringify(pattern)}`);
      }
    } finally {
      connection.close();
    }
  },
});

Deno.test({
  name: "keyFilter() keeps keys matching any include and no exclude; no globs means no filter",
  permissions: "none",
  fn() {
    assert.equal(keyFilter([], []), undefined);
    const filter = keyFilter(["user:*", "order:*"], ["*:tmp"])!;
    const kept = ["user:1", "order:2", "user:tmp", "cart:1", "order:tmp"].filter((key) =>
      filter(encoder.encode(key))
    );
    assert.deepEqual(kept, ["user:1", "order:2"]);
    const binary = keyFilter(["\xff*"], [])!;
    assert.equal(binary(new Uint8Array([0xc3, 0xbf, 0x01])), true, "globs are UTF-8 text, keys are bytes");
  },
});

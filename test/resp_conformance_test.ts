/**
 * The codec against a real redis-server, over a raw socket: every `DEBUG PROTOCOL` type in RESP2 and in
 * RESP3 (after `HELLO 3`) decodes to the documented shape, and a 10,000-command pipeline written as one
 * buffer returns 10,000 replies in order.
 */
import assert from "node:assert/strict";
import {
  type Command,
  encodeCommands,
  ErrorReply,
  RespAttributed,
  RespDecoder,
  RespDouble,
  RespMap,
  RespPush,
  RespSet,
  type RespValue,
  RespVerbatim,
} from "../resp/mod.ts";
import { RedisServer, redisServerMissing, serverTest } from "./_server.ts";

const utf8 = new TextEncoder();
const bytes = (text: string) => utf8.encode(text);

if (redisServerMissing !== undefined) {
  console.warn(`resp_conformance_test.ts is skipped: ${redisServerMissing}`);
}

/** A raw connection: commands go out as one encoded buffer, replies come back through a RespDecoder. */
class RawConnection implements Disposable {
  private readonly decoder = new RespDecoder();
  private readonly buffer = new Uint8Array(64 * 1024);

  private constructor(private readonly conn: Deno.Conn) {}

  static async open(server: RedisServer): Promise<RawConnection> {
    return new RawConnection(await Deno.connect({ hostname: server.host, port: server.port }));
  }

  async write(commands: Command[]): Promise<void> {
    const data = encodeCommands(commands);
    for (let written = 0; written < data.length;) written += await this.conn.write(data.subarray(written));
  }

  /** Exactly `count` replies, in order; rejects if the server closes first. */
  async read(count: number): Promise<RespValue[]> {
    const replies: RespValue[] = [];
    for (;;) {
      for (let value = this.decoder.next(); value !== undefined; value = this.decoder.next()) {
        replies.push(value);
      }
      if (replies.length >= count) break;
      const n = await this.conn.read(this.buffer);
      if (n === null) throw new Error(`Connection closed after ${replies.length} of ${count} replies`);
      this.decoder.feed(this.buffer.slice(0, n));
    }
    assert.equal(replies.length, count, "no more replies than commands");
    assert.equal(this.decoder.midReply, false);
    return replies;
  }

  async call(...commands: Command[]): Promise<RespValue[]> {
    await this.write(commands);
    return await this.read(commands.length);
  }

  [Symbol.dispose](): void {
    this.conn.close();
  }
}

const REAL_REPLY_AFTER_ATTRIBUTE = bytes("Some real reply following the attribute");
const REAL_REPLY_AFTER_PUSH = bytes("Some real reply following the push reply");
const VERBATIM_TEXT = bytes("This is a verbatim\nstring");

/** `DEBUG PROTOCOL <type>`: the replies expected in RESP2 and in RESP3 (push: the push, then the reply). */
const PROTOCOL_CASES: { type: string; resp2: RespValue[]; resp3: RespValue[] }[] = [
  { type: "string", resp2: [bytes("Hello World")], resp3: [bytes("Hello World")] },
  { type: "integer", resp2: [12345], resp3: [12345] },
  { type: "double", resp2: [bytes("3.141")], resp3: [new RespDouble(3.141, "3.141")] },
  {
    type: "bignum",
    resp2: [bytes("1234567999999999999999999999999999999")],
    resp3: [1234567999999999999999999999999999999n],
  },
  { type: "null", resp2: [null], resp3: [null] },
  { type: "array", resp2: [[0, 1, 2]], resp3: [[0, 1, 2]] },
  { type: "set", resp2: [[0, 1, 2]], resp3: [new RespSet([0, 1, 2])] },
  { type: "map", resp2: [[0, 0, 1, 1, 2, 0]], resp3: [new RespMap([[0, false], [1, true], [2, false]])] },
  {
    type: "attrib",
    resp2: [REAL_REPLY_AFTER_ATTRIBUTE],
    resp3: [
      new RespAttributed(
        new RespMap([[bytes("key-popularity"), [bytes("key:123"), 90]]]),
        REAL_REPLY_AFTER_ATTRIBUTE,
      ),
    ],
  },
  {
    type: "push",
    resp2: [new ErrorReply("ERR RESP2 is not supported by this command")],
    resp3: [new RespPush([bytes("server-cpu-usage"), 42]), REAL_REPLY_AFTER_PUSH],
  },
  { type: "verbatim", resp2: [VERBATIM_TEXT], resp3: [new RespVerbatim("txt", VERBATIM_TEXT)] },
  { type: "true", resp2: [1], resp3: [true] },
  { type: "false", resp2: [0], resp3: [false] },
];

/** Send each DEBUG PROTOCOL command on its own, then all of them pipelined in one buffer. */
async function checkProtocol(conn: RawConnection, protocol: "resp2" | "resp3"): Promise<void> {
  for (const testCase of PROTOCOL_CASES) {
    await conn.write([["DEBUG", "PROTOCOL", testCase.type]]);
    const replies = await conn.read(testCase[protocol].length);
    assert.deepEqual(replies, testCase[protocol], `DEBUG PROTOCOL ${testCase.type} in ${protocol}`);
  }
  await conn.write(PROTOCOL_CASES.map((testCase) => ["DEBUG", "PROTOCOL", testCase.type]));
  const expected = PROTOCOL_CASES.flatMap((testCase) => testCase[protocol]);
  assert.deepEqual(await conn.read(expected.length), expected, `pipelined DEBUG PROTOCOL in ${protocol}`);
}

serverTest({
  name: "RespDecoder decodes every DEBUG PROTOCOL type from redis-server in RESP2 and RESP3",
  async fn() {
    await using server = await RedisServer.start();
    {
      using conn = await RawConnection.open(server);
      await checkProtocol(conn, "resp2");
    }
    {
      using conn = await RawConnection.open(server);
      const [hello] = await conn.call(["HELLO", "3"]);
      assert.ok(hello instanceof RespMap, "HELLO 3 answers with a map");
      assert.equal(hello.get("proto"), 3);
      assert.deepEqual(hello.get("server"), bytes("redis"));
      await checkProtocol(conn, "resp3");
    }
  },
});

/** Deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

serverTest({
  name: "RespDecoder returns 10,000 pipelined replies in order (SET/GET/INCR/RPUSH/LRANGE, binary values)",
  async fn() {
    await using server = await RedisServer.start();
    using conn = await RawConnection.open(server);
    const random = prng(11);
    const commands: Command[] = [];
    const expected: RespValue[] = [];
    const list: Uint8Array[] = [];
    for (let i = 0; commands.length < 10_000; i++) {
      // Binary values of 0..400 bytes: every byte value, CR and LF included.
      const value = Uint8Array.from({ length: Math.floor(random() * 401) }, () => Math.floor(random() * 256));
      const key = Uint8Array.of(0xff, 0x00, 0x0d, 0x0a, ...bytes(`key:${i}`));
      list.push(value);
      commands.push(["SET", key, value], ["GET", key], ["INCR", "counter"], ["RPUSH", "list", value]);
      expected.push("OK", value, i + 1, list.length);
      commands.push(["LRANGE", "list", -3, -1]);
      expected.push(list.slice(-3));
    }
    assert.equal(commands.length, 10_000);
    const [, replies] = await Promise.all([conn.write(commands), conn.read(commands.length)]);
    for (let i = 0; i < replies.length; i++) {
      assert.deepEqual(replies[i], expected[i], `reply ${i} to ${commands[i][0]}`);
    }
  },
});

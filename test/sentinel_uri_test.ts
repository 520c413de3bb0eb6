/** sentinel_uri.ts: parsing and redacting redis-sentinel:// URIs. Pure: permissions "none", cases as data. */

import assert from "node:assert/strict";
import { OptionError } from "../src/redis/options.ts";
import {
  isSentinelUri,
  parseSentinelUri,
  redactSentinelUri,
  type SentinelConfig,
} from "../src/redis/sentinel_uri.ts";

const permissions = "none" as const;

const CASES: { uri: string; expected: SentinelConfig }[] = [
  {
    uri: "redis-sentinel://127.0.0.1:26379/mymaster",
    expected: {
      sentinels: [{ host: "127.0.0.1", port: 26379 }],
      service: "mymaster",
      master: { tls: false },
    },
  },
  {
    uri: "redis-sentinel://user:pa%40ss@s1:5000,s2:5001,s3/svc/3",
    expected: {
      sentinels: [{ host: "s1", port: 5000 }, { host: "s2", port: 5001 }, { host: "s3", port: 26379 }],
      service: "svc",
      master: { tls: false, user: "user", password: "pa@ss", db: 3 },
    },
  },
  {
    uri: "rediss-sentinel://:secret@[::1]:26380,[2001:db8::2]/my%20master",
    expected: {
      sentinels: [{ host: "::1", port: 26380 }, { host: "2001:db8::2", port: 26379 }],
      service: "my master",
      master: { tls: true, password: "secret" },
    },
  },
  {
    uri: "redis-sentinel://lonepass@h/m?db=2&sentinel_user=su&sentinel_password=sp&timeout=1.5",
    expected: {
      sentinels: [{ host: "h", port: 26379 }],
      service: "m",
      master: { tls: false, password: "lonepass", db: 2, timeoutMs: 1500 },
      sentinelUser: "su",
      sentinelPassword: "sp",
    },
  },
  {
    // An unencoded @ in the password: the userinfo ends at the last @.
    uri: "REDIS-SENTINEL://u:p@ss@h:1/m/",
    expected: {
      sentinels: [{ host: "h", port: 1 }],
      service: "m",
      master: { tls: false, user: "u", password: "p@ss" },
    },
  },
];

for (const { uri, expected } of CASES) {
  Deno.test({
    name: `parseSentinelUri('${redactSentinelUri(uri)}')`,
    permissions,
    fn() {
      assert.ok(isSentinelUri(uri));
      assert.deepEqual(parseSentinelUri(uri), expected);
    },
  });
}

const BAD: { uri: string; message: RegExp }[] = [
  { uri: "redis://h:1/m", message: /expected redis-sentinel:\/\/host:port/ },
  {
    uri: "redis-sentinel://h:26379",
    message: /names no service: add the master name .* redis-sentinel:\/\/h:26379\/mymaster/,
  },
  { uri: "redis-sentinel://h:26379/", message: /names no service/ },
  { uri: "redis-sentinel://h:99999/m", message: /port 99999 is out of range/ },
  { uri: "redis-sentinel://h:1,,h2:2/m", message: /'' is not host:port/ },
  { uri: "redis-sentinel://::1:26379/m", message: /write IPv6 addresses in brackets/ },
  { uri: "redis-sentinel://h/m/x", message: /database must be a number >= 0, got x/ },
  { uri: "redis-sentinel://h/m/1/2", message: /expected \/service or \/service\/db/ },
  { uri: "redis-sentinel://h/m%zz", message: /bad %-escape/ },
  { uri: "redis-sentinel://h/m?timeout=0", message: /timeout must be a positive number/ },
];

for (const { uri, message } of BAD) {
  Deno.test({
    name: `parseSentinelUri('${uri}') throws one OptionError line`,
    permissions,
    fn() {
      assert.throws(() => parseSentinelUri(uri), (error: Error) => {
        assert.ok(error instanceof OptionError);
        assert.match(error.message, message);
        assert.ok(!error.message.includes("\n"));
        return true;
      });
    },
  });
}

Deno.test({
  name: "parseSentinelUri() errors and redactSentinelUri() never show a password",
  permissions,
  fn() {
    const uri = "redis-sentinel://user:hunter2@h:1/m/x?sentinel_password=swordfish&password=opensesame";
    assert.equal(
      redactSentinelUri(uri),
      "redis-sentinel://user:***@h:1/m/x?sentinel_password=***&password=***",
    );
    assert.throws(() => parseSentinelUri(uri), (error: Error) => {
      assert.ok(!/hunter2|swordfish|opensesame/.test(error.message), error.message);
      return true;
    });
    assert.ok(!isSentinelUri("redis://h"));
    assert.ok(!isSentinelUri("mymaster"));
  },
});

const REDACTED: { uri: string; shown: string }[] = [
  { uri: "redis-sentinel://u:p@h/m", shown: "redis-sentinel://u:***@h/m" },
  { uri: "redis-sentinel://lonepass@h/m", shown: "redis-sentinel://***@h/m" },
  { uri: "redis-sentinel://u:pa?ss/x@h/m", shown: "redis-sentinel://u:***@h/m" },
  { uri: "redis-sentinel://we ird:pw@h/m", shown: "redis-sentinel://***@h/m" },
  {
    uri: "redis-sentinel://h/m?password=a&sentinel_password=b",
    shown: "redis-sentinel://h/m?password=***&sentinel_password=***",
  },
  { uri: "not a uri", shown: "not a uri" },
];

for (const { uri, shown } of REDACTED) {
  Deno.test({
    name: `redactSentinelUri() shows '${shown}'`,
    permissions,
    fn() {
      assert.equal(redactSentinelUri(uri), shown);
    },
  });
}

/** parseRedisUri, redactUri, redactSecrets and describeEndpoint: pure, so these run with permissions "none". */

import assert from "node:assert/strict";
import {
  type ConnectionOptions,
  describeEndpoint,
  OptionError,
  redactSecrets,
} from "../src/redis/options.ts";
import { parseRedisUri, redactUri } from "../src/redis/uri.ts";

const cases: { uri: string; expected: Partial<ConnectionOptions> }[] = [
  { uri: "redis://localhost", expected: { tls: false, host: "localhost" } },
  { uri: "redis://10.0.0.5:6380", expected: { tls: false, host: "10.0.0.5", port: 6380 } },
  {
    uri: "rediss://user:pass@host:6380/2",
    expected: { user: "user", password: "pass", tls: true, host: "host", port: 6380, db: 2 },
  },
  { uri: "redis://:secret@h", expected: { password: "secret", tls: false, host: "h" } },
  // A lone userinfo is the password, as redis-cli reads it.
  { uri: "redis://secret@h:1", expected: { password: "secret", tls: false, host: "h", port: 1 } },
  {
    uri: "redis://us%40er:p%3Ass%2Fw@h/0",
    expected: { user: "us@er", password: "p:ss/w", tls: false, host: "h", db: 0 },
  },
  { uri: "redis://[::1]:6380", expected: { tls: false, host: "::1", port: 6380 } },
  { uri: "REDIS://H:7/4", expected: { tls: false, host: "h", port: 7, db: 4 } },
  {
    uri: "redis://h?db=5&timeout=2.5&insecure",
    expected: { tls: false, host: "h", db: 5, timeoutMs: 2500, insecure: true },
  },
  { uri: "unix:///tmp/x.sock?db=2", expected: { socket: "/tmp/x.sock", db: 2 } },
  { uri: "unix:///Var/Run/My%20Redis.sock", expected: { socket: "/Var/Run/My Redis.sock" } },
  {
    uri: "redis+socket:///run/redis.sock?password=pw",
    expected: { socket: "/run/redis.sock", password: "pw" },
  },
  { uri: "redis://u:p@ss@h", expected: { user: "u", password: "p@ss", tls: false, host: "h" } },
  { uri: "unix:///tmp/a@b.sock", expected: { socket: "/tmp/a@b.sock" } },
  { uri: "unix://p@ss@/tmp/r.sock", expected: { password: "p@ss", socket: "/tmp/r.sock" } },
  {
    uri: "unix://alice:pw@/run/redis.sock?db=1",
    expected: { user: "alice", password: "pw", socket: "/run/redis.sock", db: 1 },
  },
  // Passwords as redis-cli users write them: everything between `://` and the last `@` is the userinfo, so
  // reserved characters need no %-escape.
  { uri: "redis://:pw#frag@host", expected: { password: "pw#frag", tls: false, host: "host" } },
  { uri: "redis://pw#frag@host:7", expected: { password: "pw#frag", tls: false, host: "host", port: 7 } },
  { uri: "redis://:p?w@h:1", expected: { password: "p?w", tls: false, host: "h", port: 1 } },
  { uri: "redis://:p/w@h:1/2", expected: { password: "p/w", tls: false, host: "h", port: 1, db: 2 } },
  { uri: "redis://u:p:w@h", expected: { user: "u", password: "p:w", tls: false, host: "h" } },
  { uri: "redis://:p w+x@h", expected: { password: "p w+x", tls: false, host: "h" } },
  { uri: "redis://:p%25w@h", expected: { password: "p%w", tls: false, host: "h" } },
  {
    uri: "rediss://:a#b?c/d@e:f@h:6380",
    expected: { password: "a#b?c/d@e:f", tls: true, host: "h", port: 6380 },
  },
  { uri: "redis://h?password=a+b%2B", expected: { password: "a+b+", tls: false, host: "h" } },
  // Port 80 is a port like any other (a URL parser for http would drop it as the default).
  { uri: "redis://h:80", expected: { tls: false, host: "h", port: 80 } },
  { uri: "redis://h:6380?timeout=500ms", expected: { tls: false, host: "h", port: 6380, timeoutMs: 500 } },
  // RIOT's host:port form.
  { uri: "localhost:6379", expected: { tls: false, host: "localhost", port: 6379 } },
  { uri: "Cache-1.example.com:6380", expected: { tls: false, host: "cache-1.example.com", port: 6380 } },
  { uri: "[::1]:7000", expected: { tls: false, host: "::1", port: 7000 } },
];

for (const { uri, expected } of cases) {
  Deno.test({
    name: `parseRedisUri() reads ${uri}`,
    permissions: "none",
    fn() {
      assert.deepEqual(parseRedisUri(uri), expected);
    },
  });
}

const bad: { uri: string; message: RegExp }[] = [
  { uri: "localhost", message: /expected redis:\/\/, rediss:\/\/, unix:\/\/ or host:port/ },
  { uri: "http://h:80", message: /unknown scheme http/ },
  { uri: "redis://h:99999", message: /port must be 1 to 65535, got 99999/ },
  { uri: "redis://h:0", message: /port must be 1 to 65535, got 0/ },
  { uri: "redis://h:", message: /port must be 1 to 65535, got ''/ },
  { uri: "redis://h:12ab", message: /port must be 1 to 65535, got 12ab/ },
  { uri: "redis://ho st:1", message: /'ho st' is not a host name/ },
  { uri: "redis://h#x", message: /'#' after the host/ },
  { uri: "redis://h?foo=1", message: /unknown option 'foo'.*db, password, user, timeout, insecure/ },
  { uri: "redis://h/0/1", message: /database must be a number >= 0, got 0\/1/ },
  { uri: "redis://:p%zzw@h", message: /bad %-escape in the password: write a literal % as %25/ },
  { uri: "redis://:p%2@h", message: /bad %-escape in the password/ },
  { uri: "redis://:%ff@h", message: /bad %-escape in the password/ },
  { uri: "redis://u%zz:p@h", message: /bad %-escape in the user name/ },
  { uri: "redis://h?password=%zz", message: /bad %-escape in the password/ },
  { uri: "redis://h/abc", message: /database must be a number >= 0, got abc/ },
  { uri: "redis://h/-1", message: /database must be a number >= 0/ },
  { uri: "redis://h?db=x", message: /database must be a number/ },
  { uri: "redis://h?timeout=0", message: /timeout must be a positive number of seconds/ },
  { uri: "unix://", message: /no socket path/ },
  { uri: "unix:///?db=1", message: /no socket path/ },
  { uri: "unix:///tmp/%zz.sock", message: /bad %-escape/ },
];

for (const { uri, message } of bad) {
  Deno.test({
    name: `parseRedisUri() rejects ${uri} with an OptionError`,
    permissions: "none",
    fn() {
      assert.throws(() => parseRedisUri(uri), (error) => {
        assert.ok(error instanceof OptionError);
        assert.match(error.message, message);
        assert.ok(!error.message.includes("\n"), "one line");
        return true;
      });
    },
  });
}

Deno.test({
  name: "parseRedisUri() never puts the password of a bad URI in its message",
  permissions: "none",
  fn() {
    for (
      const uri of [
        "redis://:topsecret@h:99999",
        "redis://u:topsecret@h/notadb",
        "redis://u:top@secret@h/x",
        "redis://h/x?password=topsecret",
        "unix:///?password=topsecret",
        "ftp://u:topsecret@h",
        "topsecret@h",
        "redis://:top#secret@h:99999",
        "redis://top#secret@h:99999",
        "redis://:top?secret@h:99999",
        "redis://u:top/secret@h:99999",
        "redis://alice:top:secret@h:99999",
        "redis://:top%zzsecret@h",
        "redis://:top%secret@h",
        "redis://h:99999?password=top#secret",
        "unix://top%zzsecret@/tmp/r.sock",
      ]
    ) {
      assert.throws(() => parseRedisUri(uri), (error) => {
        assert.ok(error instanceof OptionError);
        assert.ok(!/secret|top/.test(error.message), error.message);
        assert.ok(!error.message.includes(":***@"), `userinfo hidden whole: ${error.message}`);
        return true;
      });
    }
  },
});

Deno.test({
  name: "redactUri() hides passwords in userinfo and query, keeps the rest",
  permissions: "none",
  fn() {
    assert.equal(redactUri("redis://h:6379/0"), "redis://h:6379/0");
    assert.equal(redactUri("rediss://user:pass@host:6380/2"), "rediss://user:***@host:6380/2");
    assert.equal(redactUri("redis://:pass@h"), "redis://:***@h");
    assert.equal(redactUri("redis://pass@h"), "redis://***@h");
    assert.equal(redactUri("redis://u:p@ss@h"), "redis://u:***@h", "up to the last @");
    assert.equal(redactUri("unix:///tmp/x.sock?db=2&password=pw"), "unix:///tmp/x.sock?db=2&password=***");
    assert.equal(redactUri("unix://u:pw@/run/r.sock"), "unix://u:***@/run/r.sock");
    assert.equal(redactUri("unix:///tmp/a@b.sock"), "unix:///tmp/a@b.sock", "a path is not userinfo");
    assert.equal(redactUri("not a uri"), "not a uri");
    // Everything up to the last @ is hidden when the user part is not plain.
    assert.equal(redactUri("redis://:pw#frag@host"), "redis://:***@host");
    assert.equal(redactUri("redis://pw#frag:x@host"), "redis://***@host");
    assert.equal(redactUri("redis://u:p?w/x@h:1/0"), "redis://u:***@h:1/0");
    assert.equal(redactUri("redis://h/0?password=p#w&db=1"), "redis://h/0?password=***&db=1");
    assert.equal(redactUri("pw@h:1"), "***@h:1");
    // Text that did not parse: nothing of the userinfo is shown.
    assert.equal(redactUri("redis://alice:p/w@h/x", false), "redis://***@h/x");
    assert.equal(redactUri("redis://:p@h", false), "redis://***@h");
  },
});

Deno.test({
  name: "redactSecrets() replaces every occurrence, ignores empty secrets",
  permissions: "none",
  fn() {
    assert.equal(redactSecrets("a pw b pw", ["pw", undefined, ""]), "a *** b ***");
  },
});

Deno.test({
  name: "describeEndpoint() prints host:port, [v6]:port or unix:path",
  permissions: "none",
  fn() {
    assert.equal(describeEndpoint({ host: "127.0.0.1", port: 6379 }), "127.0.0.1:6379");
    assert.equal(describeEndpoint({ host: "::1", port: 6380 }), "[::1]:6380");
    assert.equal(describeEndpoint({ host: "h", port: 1, socket: "/tmp/r.sock" }), "unix:/tmp/r.sock");
  },
});

/** readXmlDump(): file-export's XML back into dump records, streamed; bad records are error items. */
import assert from "node:assert/strict";
import { readXmlDump } from "../src/imports/files/xml_dump.ts";
import type { SourceItem } from "../src/imports/import_source.ts";

/** The text in pieces of `size` characters, as a byte stream (records cut anywhere). */
function streamOf(text: string, size: number): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(at, at += size));
    },
  });
}

async function items(text: string, size: number, maxRecord?: number): Promise<SourceItem<unknown>[]> {
  const out: SourceItem<unknown>[] = [];
  for await (const chunk of readXmlDump(streamOf(text, size), "d.xml", maxRecord)) out.push(...chunk);
  return out;
}

const XML = [
  '<?xml version="1.0" encoding="UTF-8"?>',
  "<records>",
  '<record key="s" type="string" ttl="1700000000000"><value>ab</value><value encoding="base64">/w==</value></record>',
  '<record key-base64="AP8=" type="hash" ttl="-1"><field name="a&#9;b">x&#13;y</field><field name-base64="/w==">v</field></record>',
  '<record key="z" type="zset" ttl="-1"><member score="-inf">m</member></record>',
  '<record key="big" type="list" ttl="-1"><element>' + "e".repeat(100) + "</element></record>",
  '<record key="x" type="stream" ttl="-1"><entry id="1-0"><field name="f">v</field></entry>' +
  '<stream last-id="2-0" entries-added="2"><group name="g" last-id="1-0" entries-read="1"/></stream></record>',
  "</records>",
].join("\n");

Deno.test({
  name: "readXmlDump() gives the JSON dump's records, whatever the chunking; an oversized record is an error",
  async fn() {
    for (const size of [1, 7, 4096]) {
      const got = await items(XML, size, 64);
      assert.deepEqual(got, [
        { value: { key: "s", type: "string", ttl: 1700000000000, value: "ab\udcff" }, origin: "d.xml:3" },
        {
          value: { key: "\u0000\udcff", type: "hash", ttl: -1, value: [["a\tb", "x\ry"], ["\udcff", "v"]] },
          origin: "d.xml:4",
        },
        {
          value: { key: "z", type: "zset", ttl: -1, value: [{ value: "m", score: "-inf" }] },
          origin: "d.xml:5",
        },
        { error: "not a dump record: the record is longer than 64 characters", origin: "d.xml:6" },
        {
          value: {
            key: "x",
            type: "stream",
            ttl: -1,
            value: [{ id: "1-0", body: [["f", "v"]] }],
            stream: {
              lastId: "2-0",
              entriesAdded: 2,
              maxDeletedId: undefined,
              groups: [{ name: "g", lastId: "1-0", entriesRead: 1 }],
            },
          },
          origin: "d.xml:7",
        },
      ], `chunks of ${size}`);
    }
  },
});

Deno.test({
  name: "readXmlDump(): malformed XML ends the file with an error item; the records before it stay",
  async fn() {
    const got = await items(
      '<records>\n<record key="a" type="set" ttl="-1"><member>m</member></record>\n<record',
      5,
    );
    assert.equal(got.length, 2);
    assert.deepEqual(got[0], { value: { key: "a", type: "set", ttl: -1, value: ["m"] }, origin: "d.xml:2" });
    assert.match((got[1] as { error: string }).error, /^malformed XML: /);
  },
});

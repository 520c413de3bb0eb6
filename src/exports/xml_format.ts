/**
 * The dump records as XML (file-export --format xml), piece by piece like the JSON form. Pure.
 *
 *     <?xml version="1.0" encoding="UTF-8"?>
 *     <records>
 *     <record key="user:1" type="hash" ttl="-1"><field name="name">Ann</field></record>
 *     <record key="l" type="list" ttl="-1"><element>a</element></record>
 *     <record key="z" type="zset" ttl="-1"><member score="1.5">m</member></record>
 *     <record key="s" type="stream" ttl="-1"><entry id="1-0"><field name="f">v</field></entry>
 *       <stream last-id="1-0" entries-added="1" max-deleted-id="0-0"><group name="g" last-id="0-0"/></stream>
 *     </record>
 *     <record key="k" type="string" ttl="-1"><value>text</value></record>
 *     </records>
 *
 * Bytes that are not UTF-8 text XML can hold (invalid UTF-8, control characters) are written in base64:
 * `key-base64="..."`, `name-base64="..."`, or `encoding="base64"` on the element. Tabs, line feeds and
 * carriage returns that a parser would normalize are character references (`&#13;`), so every byte comes
 * back. `ttl` is the absolute expiry in Unix ms, -1 for none. A big string may come as several `<value>`
 * elements (its windows), to be joined. file-import reads this back (src/imports/files/xml_dump.ts).
 */
import { textOf } from "./byte_text.ts";
import type { DumpHeader, DumpType, DumpWindow, StreamMeta } from "./dump_format.ts";

export const XML_START = '<?xml version="1.0" encoding="UTF-8"?>\n<records>\n';
export const XML_END = "</records>\n";

/** Characters XML 1.0 cannot hold, and lone surrogates (escaped bytes). */
// deno-lint-ignore no-control-regex -- control characters are exactly what XML 1.0 cannot hold
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udfff]/;

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "\t": "&#9;",
  "\n": "&#10;",
  "\r": "&#13;",
};

/**
 * Text as element content. A carriage return is a character reference: an XML parser turns a literal
 * CR (or CR LF) into LF.
 */
function escape(text: string): string {
  return text.replace(/[&<>"\r]/g, (c) => ENTITIES[c]);
}

/** Text as an attribute value: tabs and line breaks too, which a parser would turn into spaces. */
function escapeAttribute(text: string): string {
  return text.replace(/[&<>"\t\n\r]/g, (c) => ENTITIES[c]);
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let at = 0; at < bytes.length; at += 8192) {
    binary += String.fromCharCode(...bytes.subarray(at, at + 8192));
  }
  return btoa(binary);
}

/** ` name="text"` or ` name-base64="..."`. */
function attribute(name: string, bytes: Uint8Array): string {
  const text = textOf(bytes);
  if (!NOT_XML.test(text)) return ` ${name}="${escapeAttribute(text)}"`;
  return ` ${name}-base64="${base64(bytes)}"`;
}

/** `<tag attrs>text</tag>`, or with encoding="base64". */
function element(tag: string, attrs: string, bytes: Uint8Array): string {
  const text = textOf(bytes);
  if (!NOT_XML.test(text)) return `<${tag}${attrs}>${escape(text)}</${tag}>`;
  return `<${tag}${attrs} encoding="base64">${base64(bytes)}</${tag}>`;
}

export function xmlRecordOpen(header: DumpHeader): string {
  return `<record${attribute("key", header.key)} type="${header.type}" ttl="${
    header.expireAt < 0 ? -1 : header.expireAt
  }">`;
}

export function xmlWindow(window: DumpWindow): string {
  switch (window.type) {
    case "string":
      return element("value", "", window.value);
    case "hash":
      return window.fields.map(({ field, value }) => element("field", attribute("name", field), value)).join(
        "",
      );
    case "list":
      return window.elements.map((e) => element("element", "", e)).join("");
    case "set":
      return window.members.map((m) => element("member", "", m)).join("");
    case "zset":
      return window.entries.map(({ member, score }) =>
        element("member", ` score="${escapeAttribute(score)}"`, member)
      )
        .join("");
    case "stream":
      return window.entries.map((entry) => {
        let fields = "";
        for (let i = 0; i + 1 < entry.fields.length; i += 2) {
          fields += element("field", attribute("name", entry.fields[i]), entry.fields[i + 1]);
        }
        return `<entry id="${entry.id}">${fields}</entry>`;
      }).join("");
  }
}

/**
 * The end of a record; a stream's metadata first (its last ID and consumer groups, as in the JSON form):
 * `<stream last-id="5-0" entries-added="5" max-deleted-id="0-0"><group name="g" last-id="1-0"
 * entries-read="1"/></stream>`.
 */
export function xmlRecordClose(_type: DumpType, meta?: StreamMeta): string {
  return `${meta ? xmlStreamMeta(meta) : ""}</record>\n`;
}

function xmlStreamMeta(meta: StreamMeta): string {
  let out = `<stream last-id="${meta.lastId}"`;
  if (meta.entriesAdded !== undefined) out += ` entries-added="${meta.entriesAdded}"`;
  if (meta.maxDeletedId !== undefined) out += ` max-deleted-id="${meta.maxDeletedId}"`;
  out += ">";
  for (const group of meta.groups) {
    out += `<group${attribute("name", group.name)} last-id="${group.lastId}"`;
    if (group.entriesRead !== undefined && group.entriesRead !== null) {
      out += ` entries-read="${group.entriesRead}"`;
    }
    out += "/>";
  }
  return `${out}</stream>`;
}

/**
 * The dump records as XML (file-export --format xml), piece by piece like the JSON form. Pure.
 *
 *     <?xml version="1.0" encoding="UTF-8"?>
 *     <records>
 *     <record key="user:1" type="hash" ttl="-1"><field name="name">Ann</field></record>
 *     <record key="l" type="list" ttl="-1"><element>a</element></record>
 *     <record key="z" type="zset" ttl="-1"><member score="1.5">m</member></record>
 *     <record key="s" type="stream" ttl="-1"><entry id="1-0"><field name="f">v</field></entry></record>
 *     <record key="k" type="string" ttl="-1"><value>text</value></record>
 *     </records>
 *
 * Bytes that are not UTF-8 text XML can hold (invalid UTF-8, control characters) are written in base64:
 * `key-base64="..."`, `name-base64="..."`, or `encoding="base64"` on the element.
 */
import { textOf } from "./byte_text.ts";
import type { DumpHeader, DumpType, DumpWindow } from "./dump_format.ts";

export const XML_START = '<?xml version="1.0" encoding="UTF-8"?>\n<records>\n';
export const XML_END = "</records>\n";

/** Characters XML 1.0 cannot hold, and lone surrogates (escaped bytes). */
// deno-lint-ignore no-control-regex -- control characters are exactly what XML 1.0 cannot hold
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udfff]/;

function escape(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
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
  if (!NOT_XML.test(text)) return ` ${name}="${escape(text)}"`;
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
      return window.entries.map(({ member, score }) => element("member", ` score="${escape(score)}"`, member))
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

export function xmlRecordClose(_type: DumpType): string {
  return "</record>\n";
}

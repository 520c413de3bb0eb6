/** CsvParser and JsonArraySplitter (pure): cases as data, fed whole, character by character and at split points. */
import assert from "node:assert/strict";
import { CsvParser, type CsvRow } from "../src/imports/files/csv_parser.ts";
import { JsonArraySplitter, JsonSplitError } from "../src/imports/files/json_array.ts";

function parseIn(pieces: string[], delimiter = ",", quote = '"', maxRecord?: number): CsvRow[] {
  const parser = new CsvParser({ delimiter, quote, maxRecord });
  return [...pieces.flatMap((piece) => parser.feed(piece)), ...parser.end()];
}

/** Whole, one character at a time, and cut at every position into two pieces: the same rows each time. */
function everySplit(text: string, delimiter = ","): CsvRow[] {
  const whole = parseIn([text], delimiter);
  assert.deepEqual(parseIn([...text], delimiter), whole, `byte by byte: ${JSON.stringify(text)}`);
  for (let at = 0; at <= text.length; at++) {
    assert.deepEqual(parseIn([text.slice(0, at), text.slice(at)], delimiter), whole, `split at ${at}`);
  }
  return whole;
}

const v = (line: number, ...values: string[]): CsvRow => ({ values, line });
const e = (line: number, error: RegExp) => ({ line, error });

const CASES: {
  name: string;
  text: string;
  delimiter?: string;
  rows: (CsvRow | { line: number; error: RegExp })[];
}[] = [
  { name: "plain", text: "a,b\n1,2\n", rows: [v(1, "a", "b"), v(2, "1", "2")] },
  { name: "no final newline", text: "a,b\n1,2", rows: [v(1, "a", "b"), v(2, "1", "2")] },
  { name: "CRLF", text: "a,b\r\n1,2\r\n", rows: [v(1, "a", "b"), v(2, "1", "2")] },
  { name: "BOM", text: "\ufeffa,b\n", rows: [v(1, "a", "b")] },
  { name: "empty fields", text: ",x,\n", rows: [v(1, "", "x", "")] },
  { name: "empty lines skipped", text: "a\n\n\r\nb\n", rows: [v(1, "a"), v(4, "b")] },
  { name: "quoted delimiter", text: '"a,b",c\n', rows: [v(1, "a,b", "c")] },
  { name: "doubled quotes", text: '"say ""hi""",x\n', rows: [v(1, 'say "hi"', "x")] },
  { name: "embedded newline", text: '"two\nlines",x\ny\n', rows: [v(1, "two\nlines", "x"), v(3, "y")] },
  { name: "quoted CRLF end", text: '"a"\r\n"b"\r\n', rows: [v(1, "a"), v(2, "b")] },
  { name: "quote inside unquoted", text: 'a"b,c\n', rows: [v(1, 'a"b', "c")] },
  { name: "empty quoted", text: '"",x\n', rows: [v(1, "", "x")] },
  {
    name: "text after a closing quote",
    text: '1,a\n2,"b"x,y\n3,c\n',
    rows: [v(1, "1", "a"), e(2, /followed by 'x'/), v(3, "3", "c")],
  },
  {
    name: "unclosed quote at the end",
    text: '1,a\n2,"b\n3,c\n',
    rows: [v(1, "1", "a"), e(2, /opened on line 2 is not closed/)],
  },
  { name: "tab delimiter", text: "a\tb c\n", delimiter: "\t", rows: [v(1, "a", "b c")] },
  { name: "multi-character delimiter", text: "a::b::c\n", delimiter: "::", rows: [v(1, "a", "b", "c")] },
];

Deno.test({
  name: "CsvParser reads every case the same whole, character by character and at each split point",
  permissions: "none",
  fn() {
    for (const { name, text, delimiter, rows } of CASES) {
      const got = everySplit(text, delimiter);
      assert.equal(got.length, rows.length, name);
      rows.forEach((row, i) => {
        if ("values" in row) assert.deepEqual(got[i], row, name);
        else {
          const actual = got[i] as { error: string; line: number };
          assert.equal(actual.line, row.line, name);
          assert.match(actual.error, (row as { error: RegExp }).error, name);
        }
      });
    }
  },
});

Deno.test({
  name: "CsvParser drops a record longer than maxRecord (at N+1, not at N) and reads the next line",
  permissions: "none",
  fn() {
    const at = (n: number) => parseIn(["x".repeat(n), "\nnext\n"], ",", '"', 10);
    assert.deepEqual(at(10), [v(1, "x".repeat(10)), v(2, "next")]);
    const over = at(11);
    assert.match((over[0] as { error: string }).error, /longer than 10/);
    assert.deepEqual(over[1], v(2, "next"));
  },
});

function split(pieces: string[], max?: number) {
  const splitter = new JsonArraySplitter(max);
  const out = pieces.flatMap((piece) => splitter.feed(piece));
  splitter.end();
  return out;
}

Deno.test({
  name: "JsonArraySplitter yields each element's text and start line, however the text is cut",
  permissions: "none",
  fn() {
    const text = '\ufeff[\n {"a": "x]}\\"", "b": [1, {"c": 2}]},\n 7, "s,t", null,\n {"d": {}}\n]\n';
    const expected = [
      { text: '{"a": "x]}\\"", "b": [1, {"c": 2}]}', line: 2 },
      { text: "7", line: 3 },
      { text: '"s,t"', line: 3 },
      { text: "null", line: 3 },
      { text: '{"d": {}}', line: 4 },
    ];
    assert.deepEqual(split([text]), expected);
    assert.deepEqual(split([...text]), expected);
    for (let at = 0; at <= text.length; at++) {
      assert.deepEqual(split([text.slice(0, at), text.slice(at)]), expected);
    }
    assert.deepEqual(split(["[]"]), []);
    assert.deepEqual(split(['{"one": 1}']), [{ text: '{"one": 1}', line: 1 }]);
  },
});

Deno.test({
  name: "JsonArraySplitter refuses broken structure with the line, and elements above the limit (N+1)",
  permissions: "none",
  fn() {
    assert.throws(() => split(['[{"a":1} {"b":2}]']), /expected ',' or ']'/);
    assert.throws(
      () => split(["[1,\n2"]),
      (error: unknown) => error instanceof JsonSplitError && error.line === 2,
    );
    assert.throws(() => split(["x"]), /expected '\['/);
    assert.throws(() => split(["[1] 2"]), /after the end/);
    assert.deepEqual(split(['["' + "x".repeat(8) + '"]'], 10), [{ text: `"${"x".repeat(8)}"`, line: 1 }]);
    assert.throws(() => split(['["' + "x".repeat(10)], 10), /longer than 10/);
  },
});

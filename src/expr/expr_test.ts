/** The expression language, cases as data: RIOT's documented forms, the semantics, errors with columns. */
import assert from "node:assert/strict";
import {
  compileDateFormat,
  evaluate,
  ExprEvalError,
  ExprSyntaxError,
  type Fields,
  type FieldValue,
  isTrue,
  MAX_DEPTH,
  MAX_EXPRESSION_LENGTH,
  parseExpression,
  parseTemplate,
  renderTemplate,
} from "./mod.ts";

const record = (): Fields =>
  new Map<string, FieldValue>([
    ["id", "7"],
    ["name", "Ada"],
    ["index", "5"],
    ["empty", ""],
    ["mydate", "2024-01-31 10:20:30"],
    ["iso", "2024-01-31T10:20:30Z"],
    ["ABV", "5.5"],
    ["lon", "-122.4"],
    ["lat", "37.8"],
    ["first name", "Grace"],
    ["a.b", "nested"],
    ["tags[0]", "x"],
    ["n", 3],
    ["flag", true],
  ]);

const context = { dateFormat: compileDateFormat("yyyy-MM-dd HH:mm:ss") };

const CASES: [string, FieldValue][] = [
  ["index < 10", true],
  ["index > 10", false],
  ["index <= 5 && index >= 5", true],
  ["id == 7", true],
  ["id == '7'", true],
  ["id != 7", false],
  ["name == 'Ada'", true],
  ["name eq 'Ada' and not (id gt 9)", true],
  ["name matches 'A.a'", true],
  ["name matches 'A'", false],
  ["id matches '\\d+'", true],
  ["missing == null", true],
  ["missing ?: 'default'", "default"],
  ["empty ?: 'default'", "default"],
  ["name ?: 'default'", "Ada"],
  ["id + ':' + name", "7:Ada"],
  ["n + 1", 4],
  ["n * 2 - 1", 5],
  ["ABV * 2", 11],
  ["-n", -3],
  ["7 % 4", 3],
  ["10 / 4", 2.5],
  ["!flag", false],
  ["flag || missing", true],
  ["missing && flag", false],
  ["n > 2 ? 'big' : 'small'", "big"],
  ["#date.parse(mydate).getTime()", Date.UTC(2024, 0, 31, 10, 20, 30)],
  ["#date.parse(iso, \"yyyy-MM-dd'T'HH:mm:ssX\").getTime()", Date.UTC(2024, 0, 31, 10, 20, 30)],
  ["#number.parse(ABV) > 5", true],
  ["#geo(lon, lat)", "-122.4,37.8"],
  ["`first name`", "Grace"],
  ["['first name'] + '!'", "Grace!"],
  ["a.b", "nested"],
  ["tags[0]", "x"],
  ["name.toUpperCase()", "ADA"],
  ["'it''s'", "it's"],
  ["1.5e2", 150],
];

Deno.test("evaluate() computes RIOT's documented forms and the language's semantics", () => {
  for (const [source, expected] of CASES) {
    assert.deepEqual(evaluate(parseExpression(source), record(), context), expected, source);
  }
});

Deno.test("remove('field') returns the value and takes the field out of the record", () => {
  const fields = record();
  assert.equal(evaluate(parseExpression("remove('id')"), fields), "7");
  assert.equal(fields.has("id"), false);
  assert.equal(evaluate(parseExpression("remove('id')"), fields), null);
});

const SYNTAX_ERRORS: [string, number][] = [
  ["index <", 8],
  ["(a == b", 8],
  ["a == 'open", 6],
  ["a @ b", 3],
  ["#eval('x')", 1],
  ["a.exec()", 3],
  ["remove(a)", 8],
  ["a matches '('", 11],
  ["#geo(1)", 5],
  ["a b", 3],
];

Deno.test("parseExpression() throws ExprSyntaxError at the column of the mistake", () => {
  for (const [source, column] of SYNTAX_ERRORS) {
    assert.throws(() => parseExpression(source), (error: unknown) => {
      assert.ok(error instanceof ExprSyntaxError, source);
      assert.equal(error.column, column, `${source}: ${error.message}`);
      assert.equal(error.pointer().split("\n")[1], `${" ".repeat(column - 1)}^`);
      return true;
    });
  }
});

Deno.test("parseExpression() bounds nesting and length at N and N+1", () => {
  const nested = (depth: number) => "(".repeat(depth - 1) + "1" + ")".repeat(depth - 1);
  assert.equal(evaluate(parseExpression(nested(MAX_DEPTH)), new Map()), 1);
  assert.throws(() => parseExpression(nested(MAX_DEPTH + 1)), /nests deeper/);
  assert.throws(() => parseExpression("!".repeat(MAX_DEPTH) + "true"), /nests deeper/);
  const long = (n: number) => "1" + "+1".repeat((n - 1) / 2);
  assert.equal(parseExpression(long(MAX_EXPRESSION_LENGTH - 1)).type, "binary");
  assert.throws(() => parseExpression("x".repeat(MAX_EXPRESSION_LENGTH + 1)), /longer than/);
});

Deno.test("evaluate() throws ExprEvalError for a record it cannot compute with", () => {
  for (
    const source of ["name * 2", "n / 0", "#number.parse(name)", "#date.parse(name)", "missing.getTime()"]
  ) {
    assert.throws(() => evaluate(parseExpression(source), record(), context), ExprEvalError, source);
  }
});

Deno.test("isTrue() reads booleans, text and numbers", () => {
  const cases: [FieldValue, boolean][] = [
    [true, true],
    ["true", true],
    ["TRUE", true],
    ["x", true],
    [1, true],
    [
      false,
      false,
    ],
    ["false", false],
    ["", false],
    ["0", false],
    [0, false],
    [null, false],
  ];
  for (const [value, expected] of cases) assert.equal(isTrue(value), expected, String(value));
});

Deno.test("parseTemplate() renders #{...} parts and points at mistakes in the whole template", () => {
  assert.equal(renderTemplate(parseTemplate("order:#{id}"), record()), "order:7");
  assert.equal(renderTemplate(parseTemplate("#{name} #{`first name`}!"), record()), "Ada Grace!");
  assert.equal(renderTemplate(parseTemplate("#{'}' + id}"), record()), "}7");
  assert.equal(renderTemplate(parseTemplate("plain"), record()), "plain");
  assert.throws(
    () => parseTemplate("user:#{id"),
    (e: unknown) => e instanceof ExprSyntaxError && e.column === 6,
  );
  assert.throws(
    () => parseTemplate("user:#{id +}"),
    (e: unknown) => e instanceof ExprSyntaxError && e.column === 12,
  );
});

Deno.test("compileDateFormat() reads Java-style patterns, zones, and refuses unknown letters", () => {
  const cases: [string, string, number][] = [
    ["dd/MM/yyyy", "31/01/2024", Date.UTC(2024, 0, 31)],
    ["yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2024-01-31T10:20:30.250+02:00", Date.UTC(2024, 0, 31, 8, 20, 30, 250)],
    ["MMM d, yyyy h:mm a", "Jan 5, 2024 1:05 PM", Date.UTC(2024, 0, 5, 13, 5)],
    ["yyyyMMdd", "20240131", Date.UTC(2024, 0, 31)],
  ];
  for (const [pattern, text, expected] of cases) {
    assert.equal(compileDateFormat(pattern).parse(text), expected);
  }
  assert.ok(Number.isNaN(compileDateFormat("yyyy-MM-dd").parse("2024-13-01")));
  assert.throws(() => compileDateFormat("yyyy-MM-dd QQ"), /'QQ'/);
});

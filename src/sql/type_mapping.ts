/**
 * Column values to record fields, the same way for every database (the table is in the README):
 *
 * | column type                          | field                                                         |
 * | ------------------------------------ | ------------------------------------------------------------- |
 * | integers, decimals, numeric          | text exactly as the database prints it ("1.50", no rounding)  |
 * | float / double / real                | the database's text (PostgreSQL, MySQL); SQLite: shortest text |
 * | boolean (PostgreSQL)                 | "true" / "false" (MySQL's BOOLEAN is TINYINT(1): "1" / "0")   |
 * | date                                 | "2024-05-01"                                                  |
 * | timestamp / datetime                 | "2024-05-01T12:30:00.123" (ISO 8601, T between date and time) |
 * | timestamp with time zone             | "2024-05-01T12:30:00.123+00:00"                               |
 * | time, interval                       | the database's text (PostgreSQL intervals in ISO 8601: P1DT2H) |
 * | text, varchar, char, enum, uuid      | the text                                                      |
 * | JSON, JSONB                          | the JSON text                                                 |
 * | bytea, BLOB, BINARY, VARBINARY       | the bytes as they are (dumps show them as \udcXX escapes)      |
 * | arrays and other types               | the database's text                                           |
 * | NULL                                 | left out (the field is absent from the hash)                  |
 *
 * Pure helpers; the drivers call them.
 */

/** "2024-05-01 12:30:00.123+00" (PostgreSQL) or "2024-05-01 12:30:00" (MySQL) -> ISO 8601. */
export function isoTimestamp(text: string): string {
  // Character checks, not regular expressions: this runs once per timestamp of every row.
  let iso = text.length > 10 && text.charCodeAt(10) === 0x20
    ? `${text.slice(0, 10)}T${text.slice(11)}`
    : text;
  // PostgreSQL prints offsets as +HH or +HH:MM(:SS); ISO 8601 wants +HH:MM.
  const sign = iso.charCodeAt(iso.length - 3);
  if ((sign === 0x2b || sign === 0x2d) && iso.length > 19) {
    iso += ":00";
  }
  return iso;
}

/** PostgreSQL's bytea hex output ("\\x00ff") -> bytes. */
export function byteaHex(text: string): Uint8Array {
  if (!text.startsWith("\\x")) return new TextEncoder().encode(text);
  const hex = text.slice(2);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * `--key-proc TEMPLATE`: a new key from the old one. `#{key}` in the template stands for the original key
 * bytes (any number of times); every other byte of the template is kept as it is. `imported:#{key}` adds a
 * prefix. Keys stay bytes: the template is encoded once, the key is spliced in unchanged.
 */
import { OptionError } from "../redis/options.ts";

const PLACEHOLDER = "#{key}";

/** The renaming function for `template`; throws when the template has no `#{key}` (every key would collide). */
export function keyTemplate(template: string): (key: Uint8Array) => Uint8Array {
  const parts = template.split(PLACEHOLDER).map((part) => new TextEncoder().encode(part));
  if (parts.length < 2) {
    throw new OptionError(
      `--key-proc '${template}' has no #{key}: every key would get the same name. Write for example 'copy:#{key}'`,
    );
  }
  const fixed = parts.reduce((sum, part) => sum + part.length, 0);
  return (key) => {
    const out = new Uint8Array(fixed + key.length * (parts.length - 1));
    let at = 0;
    parts.forEach((part, i) => {
      if (i > 0) {
        out.set(key, at);
        at += key.length;
      }
      out.set(part, at);
      at += part.length;
    });
    return out;
  };
}

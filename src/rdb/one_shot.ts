/**
 * Members read from a payload as they are pulled can be pulled only once: the bytes are behind a cursor.
 * {@link oneShot} makes that explicit, so a second iteration fails loudly instead of being silently empty.
 */

/** `items` as an iterable whose second iteration throws. */
export function oneShot<T>(items: Iterator<T>): Iterable<T> {
  let started = false;
  return {
    [Symbol.iterator]() {
      if (started) throw new Error("A payload's members can be read only once");
      started = true;
      return items;
    },
  };
}

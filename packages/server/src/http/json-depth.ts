/**
 * Deepest nesting of objects and arrays a request body may have. Weaviate's
 * own bodies nest a handful of levels (nested object properties, multi-vectors);
 * 100,000 levels overflowed the stack in validation (a 500) after the body was
 * parsed, and autoschema had already added the property.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether JSON `text` nests objects and arrays deeper than `limit`. One pass,
 * no recursion, stops at the first level too deep; brackets inside strings do
 * not count. Malformed text is left to `JSON.parse` to report.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c)
        index++; // backslash: skip the escaped character
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x7b || code === 0x5b) {
      if (++depth > limit) return true;
    } else if (code === 0x7d || code === 0x5d) {
      depth--;
    }
  }
  return false;
}

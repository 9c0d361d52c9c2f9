// How deep a JSON body nests, read from its bytes without parsing it. callpermit parses, validates and records
// (JSON.stringify) the Graph bodies it forwards; V8's JSON.stringify overflows its stack a few thousand levels
// down, which would fail the request after Meta had answered it (found by the soak's HTTP fuzzing). No Graph
// call nests anywhere near this deep, so a deeper body is refused before anything is decided or forwarded.

/** Nesting deeper than this (objects and arrays) is refused. */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = new Set([0x5b, 0x7b]); // [ {
const CLOSE = new Set([0x5d, 0x7d]); // ] }

/** Whether `bytes` (JSON text, valid or not) opens more than `max` objects or arrays inside each other. */
export function nestedDeeperThan(bytes: Uint8Array, max: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (OPEN.has(b)) {
      if (++depth > max) return true;
    } else if (CLOSE.has(b)) depth--;
  }
  return false;
}

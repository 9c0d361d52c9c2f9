/** ISO-8601 (any offset) or Unix seconds (string or number) → Unix seconds. */
export function parseInstant(text: string | number): number {
  throw new Error(`not implemented: ${String(text)}`);
}

/** An instant as Unix seconds. Every core function takes the instant it reasons about: core never reads a clock. */
export type Instant = number;

const ISO_DURATION = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;
const LEGACY_DURATION = /^(\d+)\s*(s|m|h|d|w)$/i;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/**
 * Seconds in an ISO-8601 duration such as `PT24H` or `P7D`. Days are 86400 s: Meta's windows are rolling,
 * not calendar days. The OpenAPI vocabulary (`24h`, `7d`) is accepted too.
 * Returns undefined for anything else, so callers can name the bad field.
 */
export function durationSeconds(text: string): number | undefined {
  const iso = ISO_DURATION.exec(text);
  if (iso && text !== 'P' && text !== 'PT') {
    const [, w, d, h, m, s] = iso.map((x) => Number(x ?? 0));
    const total = (w ?? 0) * 604800 + (d ?? 0) * 86400 + (h ?? 0) * 3600 + (m ?? 0) * 60 + (s ?? 0);
    return total > 0 ? total : undefined;
  }
  const legacy = LEGACY_DURATION.exec(text);
  if (legacy?.[1] && legacy[2]) return Number(legacy[1]) * (UNIT_SECONDS[legacy[2].toLowerCase()] ?? 0);
  return undefined;
}

/** The ISO-8601 form Meta prints for a window length: `PT24H` for whole hours under a day multiple, `P7D` for days. */
export function isoDuration(seconds: number): string {
  if (seconds % 86400 === 0 && seconds > 86400) return `P${seconds / 86400}D`;
  if (seconds % 3600 === 0) return `PT${seconds / 3600}H`;
  if (seconds % 60 === 0) return `PT${seconds / 60}M`;
  return `PT${seconds}S`;
}

// The database failures that are nobody's input error and nothing a retry of the same statement inside the
// process would fix: the server cannot be reached (stopped, restarting, connections cut, too slow to answer),
// it refuses writes (a read-only database), or its disk is full. Both drivers turn them into one error type, so
// the adapters answer them the same way (the HTTP service: 503 with Retry-After; the CLI: one line) without
// knowing any SQLSTATE or socket error code.

/** Why the store cannot do its work right now. */
export type UnavailableReason = 'unreachable' | 'read-only' | 'disk-full';

const DESCRIPTIONS: Record<UnavailableReason, string> = {
  unreachable: 'the database cannot be reached',
  'read-only': 'the database is read-only',
  'disk-full': "the database's disk is full",
};

/**
 * The store cannot serve the request now; nothing the request wrote was kept (the transaction rolled back, or
 * never started). `reason` says which kind of failure; the message adds the driver's words.
 */
export class StoreUnavailable extends Error {
  constructor(
    readonly reason: UnavailableReason,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${DESCRIPTIONS[reason]}: ${detail}`, options);
    this.name = 'StoreUnavailable';
  }

  /** What `reason` means, in a few words (for an HTTP answer, which should not carry the driver's details). */
  get description(): string {
    return DESCRIPTIONS[this.reason];
  }
}

/**
 * SQLSTATEs of a server that cannot serve: class 08 (connection exception), 57P01–57P03 (shutting down,
 * crashed, not accepting connections yet), 57P05 (idle session timeout), 53300 (too many connections).
 */
const UNREACHABLE_STATE = /^(?:08...|57P0[1235]|53300)$/;
/** Socket errors of a connection that failed or died. */
const UNREACHABLE_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
/** `pg`'s own words for a connection that ended, could not be made in time, or a query that got no answer. */
const UNREACHABLE_MESSAGE =
  /^(?:Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Connection ended unexpectedly)/;

const WASI_ENOSPC = 51;

/** The StoreUnavailable an error from either driver stands for, or undefined when it is anything else. */
export function unavailableOf(error: unknown): StoreUnavailable | undefined {
  if (error instanceof StoreUnavailable) return error;
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message } = error as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : String(error);
  const detail = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? `${text} (SQLSTATE ${code})` : text;
  if (code === '25006') return new StoreUnavailable('read-only', detail, { cause: error });
  if (code === '53100' || code === 'ENOSPC')
    return new StoreUnavailable('disk-full', detail, { cause: error });
  // PGlite's WASM file system throws errors with a WASI errno and no message: 51 is ENOSPC.
  const { name, errno } = error as { name?: unknown; errno?: unknown };
  if (name === 'ErrnoError' && errno === WASI_ENOSPC)
    return new StoreUnavailable('disk-full', 'no space left on device (ENOSPC)', { cause: error });
  if (
    (typeof code === 'string' && (UNREACHABLE_STATE.test(code) || UNREACHABLE_ERRNO.has(code))) ||
    UNREACHABLE_MESSAGE.test(text)
  )
    return new StoreUnavailable('unreachable', detail, { cause: error });
  return undefined;
}

/** `error` as a StoreUnavailable when it is one, else as it was: for a driver's catch blocks. */
export function classified(error: unknown): unknown {
  return unavailableOf(error) ?? error;
}

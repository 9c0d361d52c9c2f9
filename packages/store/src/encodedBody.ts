import { createHash } from 'node:crypto';

// Bodies hashed and laid out for the inbox ahead of time. A replay encodes each batch of lines on its
// translation thread, so the thread that talks to the database neither hashes nor copies them: a body is kept
// as the two fields a binary COPY row of the inbox carries for it, `hash text` (its sha256 in hex) and
// `body bytea` (its UTF-8 bytes), each a 4-byte big-endian length and the bytes (copyBinary.ts). A batch is
// one buffer, which moves to another thread without a copy.

const HASH_HEX = 64;
/** The hash field (length and hex digits) and the body field's length. */
const PREFIX = 4 + HASH_HEX + 4;

/** Bodies encoded together by `encodeBodies`: plain data, so `postMessage` can move `buffer` (transfer it). */
export interface EncodedBodies {
  readonly buffer: ArrayBuffer;
  /** Where each body's fields end in `buffer`; the first starts at 0. */
  readonly ends: readonly number[];
  /** Each body's hash, as in its fields: decoding it again from the buffer costs more than sending it. */
  readonly hashes: readonly string[];
}

/**
 * One body, hashed and encoded (`encodeBody`, `encodeBodies`): its hash always is its text's, since only
 * these functions lay one out. `record` takes it in place of the text.
 */
export class EncodedBody {
  private json: string | undefined;

  private constructor(
    private readonly fields: Uint8Array,
    /** sha256 of the UTF-8 bytes, hex. */
    readonly hash: string,
  ) {}

  /** Views over a batch laid out by `encodeBodies` (possibly on another thread). */
  static viewsOf(encoded: EncodedBodies): EncodedBody[] {
    const bytes = new Uint8Array(encoded.buffer);
    let start = 0;
    return encoded.ends.map((end, i) => {
      const body = new EncodedBody(bytes.subarray(start, end), encoded.hashes[i] as string);
      start = end;
      return body;
    });
  }

  /** The UTF-8 bytes: what the inbox stores. */
  get bytes(): Buffer {
    return Buffer.from(this.fields.buffer, this.fields.byteOffset + PREFIX, this.fields.length - PREFIX);
  }

  /** The number of UTF-8 bytes. */
  get size(): number {
    return this.fields.length - PREFIX;
  }

  /** The text, decoded again from the bytes. */
  get text(): string {
    return this.bytes.toString('utf8');
  }

  /** The hash and body fields of a binary COPY row of the inbox, as laid out (see copyBinary.ts). */
  get copyFields(): Uint8Array {
    return this.fields;
  }

  /**
   * The body's members of a row of `record`'s JSON parameter, `"hash":…,"body":…` with the bytes in base64
   * (hex and base64 need no escaping). Made on first use: a bulk load sends the bytes as they are.
   */
  get members(): string {
    this.json ??= `"hash":"${this.hash}","body":"${this.bytes.toString('base64')}"`;
    return this.json;
  }
}

/** Hashes and lays out a batch of bodies in one buffer (see `EncodedBody.viewsOf`). */
export function encodeBodies(texts: readonly string[]): EncodedBodies {
  let size = 0;
  for (const text of texts) size += PREFIX + Buffer.byteLength(text, 'utf8');
  const out = Buffer.allocUnsafeSlow(size);
  const ends: number[] = [];
  const hashes: string[] = [];
  let at = 0;
  for (const text of texts) {
    const length = out.write(text, at + PREFIX, 'utf8');
    const hash = sha256Hex(out.subarray(at + PREFIX, at + PREFIX + length));
    out.writeInt32BE(HASH_HEX, at);
    out.write(hash, at + 4, 'latin1');
    out.writeInt32BE(length, at + 4 + HASH_HEX);
    at += PREFIX + length;
    ends.push(at);
    hashes.push(hash);
  }
  return { buffer: out.buffer as ArrayBuffer, ends, hashes };
}

/** One body hashed and encoded: e.g. while the previous batch is at the database. */
export function encodeBody(text: string): EncodedBody {
  return EncodedBody.viewsOf(encodeBodies([text]))[0] as EncodedBody;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

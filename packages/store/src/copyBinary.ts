// PostgreSQL's binary COPY format, written by hand: a bulk load sends rows as length-prefixed bytes, which the
// server takes without parsing text or escapes (a 500-byte body goes as its 500 bytes, not 1,000 hex digits).
// Layout: a signature and two zero words, then per row a field count and per field its length (-1 for NULL)
// and bytes, then -1 as a field count. Numbers are big-endian.

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** Buffers of this size are filled and handed on: large enough to amortise, small enough to stream. */
const CHUNK_BYTES = 1 << 20;
const NULL_LENGTH = -1;

/**
 * Rows in binary COPY format, appended field by field. `chunks()` ends the data and returns it. Each field
 * must be written with the type of its column (text, bytea and json as bytes; int2, int4, int8, float8).
 */
export class BinaryCopyWriter {
  private readonly done: Buffer[] = [];
  private buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  private at = 0;
  private rowCount = 0;

  constructor() {
    this.room(SIGNATURE.length + 8);
    this.at += SIGNATURE.copy(this.buffer, this.at);
    this.at = this.buffer.writeInt32BE(0, this.at);
    this.at = this.buffer.writeInt32BE(0, this.at);
  }

  /** A text field laid out on its own (its length and UTF-8 bytes), for `fields`: a value many rows repeat. */
  static textField(value: string): Buffer {
    const bytes = Buffer.from(value, 'utf8');
    const field = Buffer.allocUnsafe(4 + bytes.length);
    field.writeInt32BE(bytes.length, 0);
    bytes.copy(field, 4);
    return field;
  }

  /** Rows started so far. */
  get rows(): number {
    return this.rowCount;
  }

  row(fields: number): this {
    this.room(2);
    this.at = this.buffer.writeInt16BE(fields, this.at);
    this.rowCount++;
    return this;
  }

  /** A text, json or varchar field (UTF-8), or NULL. */
  text(value: string | null): this {
    if (value === null) return this.null();
    const most = value.length * 3;
    if (most + 4 <= CHUNK_BYTES) {
      this.room(most + 4);
      const written = this.buffer.write(value, this.at + 4, 'utf8');
      this.buffer.writeInt32BE(written, this.at);
      this.at += 4 + written;
      return this;
    }
    return this.bytes(Buffer.from(value, 'utf8'));
  }

  /** A bytea field (or any field given as its binary form). */
  bytes(value: Uint8Array): this {
    this.room(4);
    this.at = this.buffer.writeInt32BE(value.length, this.at);
    return this.fields(value);
  }

  /** Fields already laid out in this format (each its length and bytes), e.g. an `EncodedBody`'s. */
  fields(laidOut: Uint8Array): this {
    if (laidOut.length <= this.buffer.length - this.at) {
      this.buffer.set(laidOut, this.at);
      this.at += laidOut.length;
    } else {
      this.flush();
      this.done.push(Buffer.from(laidOut.buffer, laidOut.byteOffset, laidOut.length));
    }
    return this;
  }

  int2(value: number | null): this {
    if (value === null) return this.null();
    this.room(6);
    this.at = this.buffer.writeInt32BE(2, this.at);
    this.at = this.buffer.writeInt16BE(value, this.at);
    return this;
  }

  int4(value: number | null): this {
    if (value === null) return this.null();
    this.room(8);
    this.at = this.buffer.writeInt32BE(4, this.at);
    this.at = this.buffer.writeInt32BE(value, this.at);
    return this;
  }

  int8(value: number | null): this {
    if (value === null) return this.null();
    if (!Number.isSafeInteger(value)) throw new RangeError(`${value} is not a whole number`);
    this.room(12);
    this.at = this.buffer.writeInt32BE(8, this.at);
    this.at = this.buffer.writeBigInt64BE(BigInt(value), this.at);
    return this;
  }

  float8(value: number | null): this {
    if (value === null) return this.null();
    this.room(12);
    this.at = this.buffer.writeInt32BE(8, this.at);
    this.at = this.buffer.writeDoubleBE(value, this.at);
    return this;
  }

  null(): this {
    this.room(4);
    this.at = this.buffer.writeInt32BE(NULL_LENGTH, this.at);
    return this;
  }

  /** Ends the data (the trailer) and returns it; the writer is not to be used afterwards. */
  chunks(): Buffer[] {
    this.room(2);
    this.at = this.buffer.writeInt16BE(-1, this.at);
    this.flush();
    return this.done;
  }

  private room(bytes: number): void {
    if (this.at + bytes > this.buffer.length) {
      this.flush();
      if (bytes > this.buffer.length) this.buffer = Buffer.allocUnsafe(bytes);
    }
  }

  private flush(): void {
    if (this.at === 0) return;
    this.done.push(this.buffer.subarray(0, this.at));
    this.buffer = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, this.buffer.length));
    this.at = 0;
  }
}

/** Streams the non-blank lines of a capture file with 1-based line numbers. */
export async function* readCaptureLines(
  _input: NodeJS.ReadableStream,
): AsyncGenerator<{ lineNo: number; raw: string }> {
  yield* [];
  throw new Error('not implemented');
}

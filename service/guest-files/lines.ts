// JSON lines off a stream, each at most a given length: the service, the
// guest-files helper and its workers speak so, and none of them lets the
// other side make it hold an endless line.

import type { Readable } from 'node:stream';

export interface LineReader {
  /** Stops reading, without calling onEnd (the stream is left to its owner). */
  stop(): void;
}

/**
 * Calls `onLine` with each line of `stream` (without its newline), and
 * `onEnd` once: with no error when the stream ends, or with one when a line
 * passes `maxLength` (nothing more is read then).
 */
export function readLines(
  stream: Readable,
  maxLength: number,
  onLine: (line: string) => void,
  onEnd: (error?: Error) => void,
): LineReader {
  let pending: Buffer[] = [];
  let pendingLength = 0;
  let ended = false;
  const detach = (): void => {
    ended = true;
    stream.off('data', onData);
    stream.off('end', onClose);
    stream.off('close', onClose);
    stream.off('error', onError);
  };
  const end = (error?: Error): void => {
    if (ended) return;
    detach();
    onEnd(error);
  };
  const onData = (chunk: Buffer): void => {
    let start = 0;
    for (let newline = chunk.indexOf(10); newline >= 0; newline = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, newline);
      if (pendingLength + piece.length > maxLength) return end(new Error(`a line longer than ${maxLength} bytes`));
      const line = pending.length > 0 ? Buffer.concat([...pending, piece]).toString() : piece.toString();
      pending = [];
      pendingLength = 0;
      start = newline + 1;
      onLine(line);
      if (ended) return;
    }
    const rest = chunk.subarray(start);
    if (pendingLength + rest.length > maxLength) return end(new Error(`a line longer than ${maxLength} bytes`));
    if (rest.length > 0) {
      // Copied: the stream may reuse its chunk.
      pending.push(Buffer.from(rest));
      pendingLength += rest.length;
    }
  };
  const onClose = (): void => end();
  const onError = (error: Error): void => end(error);
  stream.on('data', onData);
  stream.once('end', onClose);
  stream.once('close', onClose);
  stream.once('error', onError);
  return { stop: detach };
}

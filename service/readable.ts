// Text a person reads — an error's message, a log line — made safe to show
// whatever a caller put into it: characters that move the cursor, colour a
// terminal, break a line or turn text around are shown as escapes, and text
// too long to read is shortened in the middle. Pure.

/** Backslash escapes for the controls people know by a letter. */
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\' };

// C0 and C1 controls and DEL; line and paragraph separators; the bidirectional
// marks, embeddings, overrides and isolates; a byte-order mark; lone surrogates.
const UNSAFE_ALL = /[\\\p{Cc}\p{Zl}\p{Zp}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\p{Cs}]/gu;
const UNSAFE = new RegExp(UNSAFE_ALL.source, 'u');

const ELLIPSIS = ' … ';

/** One character (a code point) as it is shown: itself, or its escape. */
function shown(char: string): string {
  if (!UNSAFE.test(char)) return char;
  const named = NAMED[char];
  if (named) return named;
  const code = char.codePointAt(0) as number;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `text` with every control character escaped visibly (\n, \x1b, \u202e; a
 * backslash doubled, so an escape is never ambiguous) and, when longer than
 * `max` characters (UTF-16 units) after that, shortened to at most `max`: its
 * first two thirds and its end, with " … " between. An escape or a
 * surrogate pair is never cut in two. Walks only the ends of a long text.
 */
export function readable(text: string, max: number): string {
  let length = text.length;
  for (const match of text.matchAll(UNSAFE_ALL)) length += shown(match[0]).length - match[0].length;
  if (length <= max) return text.replace(UNSAFE_ALL, shown);
  const room = Math.max(0, max - ELLIPSIS.length);
  let head = '';
  let end = 0; // where the head ends in text
  for (const char of text) {
    const piece = shown(char);
    if (head.length + piece.length > Math.ceil((room * 2) / 3)) break;
    head += piece;
    end += char.length;
  }
  const tail: string[] = [];
  let tailLength = 0;
  for (let at = text.length; at > end;) {
    const low = text.charCodeAt(at - 1);
    const pair = at - 2 >= end && low >= 0xdc00 && low <= 0xdfff && isHighSurrogate(text.charCodeAt(at - 2));
    const char = text.slice(pair ? at - 2 : at - 1, at);
    const piece = shown(char);
    if (head.length + tailLength + piece.length > room) break;
    tail.push(piece);
    tailLength += piece.length;
    at -= char.length;
  }
  return `${head}${ELLIPSIS}${tail.reverse().join('')}`;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** The longest message a person is given (an error, a job's ending), in characters: a screenful. */
export const MESSAGE_MAX = 1000;

/** A message for a person: controls escaped, at most MESSAGE_MAX characters. */
export function readableMessage(text: string): string {
  return readable(text, MESSAGE_MAX);
}

/** A count with its noun, singular for one: count(1, 'guest') is '1 guest', count(3, 'guest') '3 guests'. */
export function count(n: number | bigint, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 || n === 1n ? noun : plural}`;
}

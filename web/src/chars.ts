/*
 * Message length as the messages API counts it: Unicode code points, i.e.
 * the UTF-8 bytes that do not continue a sequence (src/app/messages.c,
 * messages_utf8_length()). A JavaScript string is UTF-16, so "😀" has
 * length 2 but is one character here; iterating a string walks code points.
 */
export const MESSAGE_MAX = 4096;

export function countChars(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

const number = new Intl.NumberFormat("en-US");

/* "12 of 4,096 characters", or how far over the limit the text is. */
export function describeLength(n: number): { text: string; over: boolean } {
  if (n > MESSAGE_MAX) {
    const extra = n - MESSAGE_MAX;
    return {
      text: `${number.format(n)} of ${number.format(MESSAGE_MAX)} characters: ` +
        `${number.format(extra)} too many`,
      over: true,
    };
  }
  return { text: `${number.format(n)} of ${number.format(MESSAGE_MAX)} characters`, over: false };
}

/**
 * Control characters (C0, DEL, C1), line and paragraph separators and bidirectional
 * overrides: in a file name they would move the cursor, recolour or clear the terminal,
 * fake a line of output, or reorder what a person reads.
 */
const unprintable = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

const named: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" }

/**
 * A file name or path as text output may show it: every control character escaped
 * (`\n`, `\x1b`, `\u202e`), everything else unchanged. JSON output escapes on its own.
 */
export const printable = (text: string): string =>
  text.replace(unprintable, (char) => {
    const code = char.charCodeAt(0)
    return (
      named[char] ??
      (code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16)}`)
    )
  })

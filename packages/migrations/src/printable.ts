const named: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" }

/**
 * Control characters (C0, DEL, C1), line and paragraph separators and bidirectional
 * marks and overrides: in a file name they would move the cursor, recolour or clear the
 * terminal, fake a line of output, or reorder what a person reads.
 */
const unprintable = (code: number) =>
  code <= 0x1f ||
  (code >= 0x7f && code <= 0x9f) ||
  code === 0x061c ||
  code === 0x200e ||
  code === 0x200f ||
  code === 0x2028 ||
  code === 0x2029 ||
  (code >= 0x202a && code <= 0x202e) ||
  (code >= 0x2066 && code <= 0x2069)

/**
 * A file name or path as text output may show it: every such character escaped (`\n`,
 * `\x1b`, `\u202e`), everything else unchanged. JSON output escapes on its own.
 */
export const printable = (text: string): string => {
  let out = ""
  for (const char of text) {
    const code = char.codePointAt(0)!
    out += !unprintable(code)
      ? char
      : (named[char] ??
        (code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16)}`))
  }
  return out
}

/**
 * A query or statement on one line, cut to `max` characters (an ellipsis marks the cut):
 * enough to recognise it in a report. Its whitespace, line breaks included, becomes one
 * space.
 */
export const queryLine = (query: string, max = 120): string => {
  const line = query.replace(/\s+/g, " ").trim()
  return line.length > max ? `${line.slice(0, max - 1)}…` : line
}

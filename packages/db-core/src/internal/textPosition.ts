/**
 * Turns PostgreSQL's 1-based character position into a 1-based line and column of
 * the text that was sent, so a failing statement in a long script can be found.
 */
export const lineAndColumn = (
  text: string,
  position: number,
): { readonly line: number; readonly column: number } => {
  // PostgreSQL counts characters (code points), not UTF-16 units.
  const chars = Array.from(text)
  const end = Math.max(0, Math.min(position - 1, chars.length))
  let line = 1
  let column = 1
  for (let i = 0; i < end; i++) {
    if (chars[i] === "\n") {
      line++
      column = 1
    } else {
      column++
    }
  }
  return { line, column }
}

/** A 1-based line and column, columns counting code points as PostgreSQL does. */
export interface LineAndColumn {
  readonly line: number
  readonly column: number
}

/**
 * Turns ascending UTF-16 indexes into lines and columns in one pass over the text, so a
 * text with thousands of statements is not rescanned for each one.
 */
export const textPositions = (text: string) => {
  let index = 0
  let line = 1
  let column = 1
  return (target: number): LineAndColumn => {
    const end = Math.min(target, text.length)
    while (index < end) {
      const codePoint = text.codePointAt(index)!
      if (codePoint === 0x0a) {
        line++
        column = 1
      } else {
        column++
      }
      index += codePoint > 0xffff ? 2 : 1
    }
    return { line, column }
  }
}

/** The line and column of a UTF-16 index into `text`. */
export const lineAndColumnAt = (text: string, index: number): LineAndColumn =>
  textPositions(text)(index)

/** The UTF-16 index of the code point at `codePoints` (PostgreSQL counts code points). */
export const indexOfCodePoint = (text: string, codePoints: number): number => {
  let index = 0
  for (let n = 0; n < codePoints && index < text.length; n++) {
    index += text.codePointAt(index)! > 0xffff ? 2 : 1
  }
  return index
}

/**
 * The line and column of PostgreSQL's 1-based character position in the text that was
 * sent, so a failing statement in a long script can be found.
 */
export const lineAndColumnOfPosition = (text: string, position: number): LineAndColumn =>
  lineAndColumnAt(text, indexOfCodePoint(text, position - 1))

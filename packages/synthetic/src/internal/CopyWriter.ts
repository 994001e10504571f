import { chunkSize, day, timestamp } from "./copyText.js"

/** Text that is all ASCII, as bytes to copy into a chunk. */
export const ascii = (text: string) => Buffer.from(text, "latin1")
const hexPairs = ascii(
  Array.from({ length: 256 }, (_, n) => n.toString(16).padStart(2, "0")).join(""),
)
const base62Codes = ascii("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

/**
 * COPY text written straight into byte buffers, for the hot path (millions of API keys):
 * no string is built per row. A full buffer is handed over and a new one started, since
 * the stream may still hold the previous one.
 */
export class CopyWriter {
  // A chunk ends after the row that fills it; rows are far below 1 KiB.
  private buffer = Buffer.allocUnsafe(chunkSize + 1024)
  private position = 0
  private readonly dates = new Map<number, Buffer>()

  get full() {
    return this.position >= chunkSize
  }

  take(): Buffer {
    const chunk = this.buffer.subarray(0, this.position)
    this.buffer = Buffer.allocUnsafe(chunkSize + 1024)
    this.position = 0
    return chunk
  }

  byte(code: number) {
    this.buffer[this.position++] = code
  }

  /** Any text, as UTF-8; the buffer grows for a long value. */
  text(value: string) {
    const most = value.length * 3
    if (this.position + most > this.buffer.length) {
      const grown = Buffer.allocUnsafe(this.position + most + chunkSize)
      this.buffer.copy(grown, 0, 0, this.position)
      this.buffer = grown
    }
    this.position += this.buffer.write(value, this.position, "utf8")
  }

  bytes(bytes: Uint8Array) {
    this.buffer.set(bytes, this.position)
    this.position += bytes.length
  }

  /** A non-negative integer in decimal. */
  decimal(n: number) {
    const start = this.position
    do {
      this.buffer[this.position++] = 48 + (n % 10)
      n = Math.floor(n / 10)
    } while (n > 0)
    this.buffer.subarray(start, this.position).reverse()
  }

  /** A 32-bit word as 8 hex digits. */
  hex(w: number) {
    for (let shift = 24; shift >= 0; shift -= 8) {
      const pair = ((w >>> shift) & 255) * 2
      this.buffer[this.position++] = hexPairs[pair]!
      this.buffer[this.position++] = hexPairs[pair + 1]!
    }
  }

  /** `count` base62 digits of n, least significant first. */
  base62(n: number, count: number) {
    for (let d = 0; d < count; d++) {
      this.buffer[this.position++] = base62Codes[n % 62]!
      n = Math.floor(n / 62)
    }
  }

  /** Whole-second Unix time as `YYYY-MM-DD hh:mm:ss+00`, each day's date part cached. */
  timestamp(unixSeconds: number) {
    const d = Math.floor(unixSeconds / day)
    let date = this.dates.get(d)
    if (date === undefined) {
      date = ascii(timestamp(d * day).slice(0, 11))
      this.dates.set(d, date)
    }
    this.bytes(date)
    let s = unixSeconds - d * day
    const h = Math.floor(s / 3600)
    s -= h * 3600
    const m = Math.floor(s / 60)
    s -= m * 60
    const b = this.buffer
    let p = this.position
    b[p++] = 48 + Math.floor(h / 10)
    b[p++] = 48 + (h % 10)
    b[p++] = 58 // :
    b[p++] = 48 + Math.floor(m / 10)
    b[p++] = 48 + (m % 10)
    b[p++] = 58
    b[p++] = 48 + Math.floor(s / 10)
    b[p++] = 48 + (s % 10)
    b[p++] = 43 // +
    b[p++] = 48
    b[p++] = 48
    this.position = p
  }
}

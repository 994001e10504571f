/** One measurement: a cost (seconds) at a size (rows). */
export interface Point {
  readonly rows: number
  readonly seconds: number
}

/**
 * How a cost grows with rows, from the log-log slope: `constant` (does not grow, e.g. a
 * catalog-only change), `linear`, or growing faster (`superlinear`) or slower
 * (`sublinear`) than the rows: the last two make an extrapolation unsafe. `measured`: every
 * point is at the target size, so nothing was extrapolated.
 */
export type Growth = "constant" | "linear" | "sublinear" | "superlinear" | "unknown" | "measured"

/** A least-squares line through the points, and what it says at the target size. */
export interface Fit {
  readonly points: ReadonlyArray<Point>
  /** seconds = intercept + slope × rows */
  readonly intercept: number
  readonly slope: number
  /** Coefficient of determination of the line (1: every point on it). */
  readonly r2: number
  /**
   * Slope of ln(seconds − fixed cost) against ln(rows): 1 is linear, 2 quadratic, 0
   * constant; the fixed cost is the line's intercept when positive.
   */
  readonly logLogSlope: number | undefined
  readonly growth: Growth
  readonly targetRows: number
  /** The line at the target size (never below 0). */
  readonly predicted: number
  /**
   * One standard error of the prediction at the target (from the residuals; undefined
   * with fewer than three points, where a line always fits).
   */
  readonly standardError: number | undefined
}

const mean = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0) / xs.length

/** The least-squares line of y on x: [intercept, slope, residual sum of squares, Sxx]. */
const line = (xs: ReadonlyArray<number>, ys: ReadonlyArray<number>) => {
  const mx = mean(xs)
  const my = mean(ys)
  let sxx = 0
  let sxy = 0
  for (let i = 0; i < xs.length; i++) {
    sxx += (xs[i]! - mx) ** 2
    sxy += (xs[i]! - mx) * (ys[i]! - my)
  }
  const slope = sxx === 0 ? 0 : sxy / sxx
  const intercept = my - slope * mx
  let ssRes = 0
  let ssTot = 0
  for (let i = 0; i < xs.length; i++) {
    ssRes += (ys[i]! - (intercept + slope * xs[i]!)) ** 2
    ssTot += (ys[i]! - my) ** 2
  }
  return { intercept, slope, ssRes, ssTot, sxx, mx }
}

/**
 * Costs under this many seconds at every size are noise around a constant (a catalog-only
 * change): a line through their jitter would extrapolate the jitter. Linear or not, such a
 * statement costs at most ten times this at ten times the largest size measured.
 */
const negligibleSeconds = 0.02

const growthOf = (
  logLogSlope: number | undefined,
  points: ReadonlyArray<Point>,
  targetRows: number,
): Growth => {
  if (points.length > 0 && points.every((p) => p.rows === targetRows)) return "measured"
  const ys = points.map((p) => p.seconds)
  const spread = Math.max(...ys) - Math.min(...ys)
  if (points.length === 0 || spread < Math.max(negligibleSeconds, 0.2 * Math.max(...ys)))
    return "constant"
  if (logLogSlope === undefined) return "unknown"
  if (logLogSlope < 0.3) return "constant"
  if (logLogSlope < 0.75) return "sublinear"
  if (logLogSlope <= 1.33) return "linear"
  return "superlinear"
}

/**
 * Fits seconds against rows by least squares and extrapolates to `targetRows`. Points at
 * the same size (repeats) are kept: they weigh in as measurements of the noise.
 */
export const fitCost = (points: ReadonlyArray<Point>, targetRows: number): Fit => {
  const xs = points.map((p) => p.rows)
  const ys = points.map((p) => p.seconds)
  const { intercept, slope, ssRes, ssTot, sxx, mx } =
    points.length === 0
      ? { intercept: 0, slope: 0, ssRes: 0, ssTot: 0, sxx: 0, mx: 0 }
      : line(xs, ys)
  // The slope of the part that grows: a fixed cost (a positive intercept) is taken off
  // first, or an affine cost would look sublinear.
  const fixed = Math.max(0, intercept)
  const positive = points
    .map((p) => ({ rows: p.rows, seconds: p.seconds - fixed }))
    .filter((p) => p.rows > 0 && p.seconds > 0)
  const distinctRows = new Set(positive.map((p) => p.rows)).size
  const logLogSlope =
    distinctRows >= 2
      ? line(
          positive.map((p) => Math.log(p.rows)),
          positive.map((p) => Math.log(p.seconds)),
        ).slope
      : undefined
  const n = points.length
  const negligible = n > 0 && ys.every((y) => y < negligibleSeconds)
  const standardError =
    n >= 3 && sxx > 0
      ? Math.sqrt(ssRes / (n - 2)) * Math.sqrt(1 + 1 / n + (targetRows - mx) ** 2 / sxx)
      : undefined
  return {
    points,
    intercept,
    slope,
    r2: ssTot === 0 ? 1 : 1 - ssRes / ssTot,
    logLogSlope,
    growth: growthOf(logLogSlope, points, targetRows),
    targetRows,
    predicted: negligible ? Math.max(0, ...ys) : Math.max(0, intercept + slope * targetRows),
    standardError: negligible ? undefined : standardError,
  }
}

/**
 * Whether the fit's extrapolation can be trusted as a line: it grows (about) linearly or
 * not at all, or it was measured at the target size.
 */
export const scalesLinearly = (fit: Fit) =>
  fit.growth === "linear" || fit.growth === "constant" || fit.growth === "measured"

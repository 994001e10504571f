/** `url` with another database name. */
export const harnessUrl = (url: string, database: string): string => {
  const target = new URL(url)
  target.pathname = `/${database}`
  return target.toString()
}

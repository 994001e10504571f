import { describe, expect, it } from "vitest"
import { extrapolate } from "../src/Extrapolate.js"
import { rehearsalHtml } from "../src/HtmlReport.js"
import type { Rehearsal } from "../src/Rehearsal.js"
import { scaleRun } from "./scaleRun.js"

const voidElements = new Set(["meta", "br", "hr", "img", "input", "link"])

/**
 * A strict reading of the page: every element closed in order (SVG's self-closing ones
 * too), attributes quoted, no script or external reference. Returns the elements found.
 */
const parse = (html: string) => {
  const stack: Array<string> = []
  const elements: Array<{ name: string; attributes: string }> = []
  const tag = /<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>|<!doctype html>/g
  let text = html
  for (let m = tag.exec(html); m !== null; m = tag.exec(html)) {
    text = text.replace(m[0], "")
    if (m[2] === undefined) continue
    const [, closing, name, attributes, selfClosing] = m
    if (closing) {
      expect(stack.pop(), `</${name}> closes what opened last`).toBe(name)
    } else {
      elements.push({ name: name!, attributes: attributes ?? "" })
      if (!selfClosing && !voidElements.has(name!)) stack.push(name!)
    }
  }
  expect(stack).toEqual([])
  // Whatever was not a tag is text: no stray `<` of a broken tag.
  expect(text).not.toMatch(/<[a-zA-Z/!]/)
  return elements
}

describe("rehearsalHtml", () => {
  it("is one well-formed page with a chart per costly statement, a lock timeline per migration, every migration", () => {
    const runs = [scaleRun(0.01, 20_000), scaleRun(0.03, 60_000), scaleRun(0.1, 200_000)]
    const rehearsal: Rehearsal = {
      databaseVersion: 370,
      targetVersion: 371,
      pending: [{ version: 371, name: "api_key_scopes <&> allow_list" }],
      realRows: { api_keys: 2_000_000 },
      dataFrom: "statistics",
      fallbackColumns: [],
      purgeableApiKeys: 1_800_000,
      scales: [0.01, 0.03, 0.1],
      lockTimeoutSeconds: 3,
      scratchServer: undefined,
      scaledFrom: undefined,
      cacheWarnings: [],
      drift: {
        missing: [],
        extra: [{ kind: "index", name: "public.api_keys_drift", definition: "" }],
        changed: [],
      },
      variants: [
        {
          name: "as-is",
          runs,
          estimates: extrapolate(runs, { api_keys: 2_000_000 }, [0.01, 0.03, 0.1]),
        },
      ],
      seconds: 12,
    }
    const html = rehearsalHtml(rehearsal)
    const elements = parse(html)
    const svgs = elements.filter((e) => e.name === "svg")
    expect(svgs.filter((e) => e.attributes.includes("time-vs-rows"))).toHaveLength(1)
    expect(svgs.filter((e) => e.attributes.includes("lock-timeline"))).toHaveLength(1)
    expect(elements.filter((e) => e.name === "circle")).toHaveLength(3)
    const sections = elements.filter((e) => e.name === "section")
    expect(sections.map((s) => /data-version="(\d+)"/.exec(s.attributes)?.[1])).toEqual(["371"])
    // Names are escaped, nothing is fetched.
    expect(html).toContain("api_key_scopes &lt;&amp;&gt; allow_list")
    expect(
      elements.some(
        (e) => e.name === "script" || e.name === "link" || /src=|href=/.test(e.attributes),
      ),
    ).toBe(false)
    // 40 s extrapolated for the UPDATE at 2M rows, stated as a recommendation too.
    expect(html).toMatch(/blocks api_keys ≈ 40 s/)
    expect(html).toContain("public.api_keys_drift")
  })
})

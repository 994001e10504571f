import type { ScaleRun } from "../src/Rehearsal.js"

/**
 * A rehearsal's run of a 000371-like migration at one scale, made by hand: an ALTER that
 * takes ACCESS EXCLUSIVE, then an UPDATE of every row at `perRow` seconds a row, coderd
 * blocked for the UPDATE, and `extraSeconds` of work before the lock (a DELETE, say).
 */
export const scaleRun = (
  scale: number,
  rows: number,
  { perRow = 2e-5, extraSeconds = 0 }: { perRow?: number; extraSeconds?: number } = {},
): ScaleRun => ({
  scale,
  rows: { api_keys: rows },
  dataSeconds: 0.1,
  purgedRows: undefined,
  fallbackColumns: [],
  cache: { tableBytes: {}, sharedBuffersBytes: 128 << 20, fullSharedBuffersBytes: 128 << 20 },
  migrations: [
    {
      version: 371,
      name: "api_key_scopes <&> allow_list",
      transactional: true,
      seconds: rows * perRow + 0.01 + extraSeconds,
      walBytes: rows * 100,
      statements: [
        {
          index: 0,
          line: 5,
          text: "ALTER TABLE api_keys ADD COLUMN scopes api_key_scope[]",
          kind: "AlterTableStmt",
          startSeconds: extraSeconds,
          seconds: 0.002,
          rows: 0,
          walBytes: 100,
          locks: [{ relation: "api_keys", mode: "AccessExclusiveLock" }],
          rewritten: [],
          relations: ["api_keys"],
        },
        {
          index: 1,
          line: 7,
          text: "UPDATE api_keys SET scopes = ARRAY[scope]",
          kind: "UpdateStmt",
          startSeconds: extraSeconds + 0.002,
          seconds: rows * perRow,
          rows,
          walBytes: rows * 100,
          locks: [],
          rewritten: [],
          relations: ["api_keys"],
        },
      ],
      locks: [
        {
          relation: "api_keys",
          mode: "AccessExclusiveLock",
          statement: 0,
          fromSeconds: extraSeconds,
          toSeconds: extraSeconds + rows * perRow + 0.01,
        },
      ],
      failed: undefined,
      blocking: [
        {
          table: "api_keys",
          blockedSeconds: rows * perRow,
          longestSeconds: rows * perRow,
          longestReadSeconds: rows * perRow,
          longestWriteSeconds: rows * perRow,
          probes: 10,
          intervals: [[extraSeconds + 0.001, extraSeconds + rows * perRow + 0.01]],
          readIntervals: [[extraSeconds + 0.001, extraSeconds + rows * perRow + 0.01]],
          writeIntervals: [],
        },
      ],
    },
  ],
})

import { countOf } from "@coderops/cli-kit"
import type { BlockerAction, Session, WatchSnapshot } from "@coderops/migration-watch"
import { printable, queryLine } from "@coderops/migrations"

const seconds = (value: number | undefined) =>
  value === undefined
    ? "?"
    : value < 60
      ? `${value.toFixed(1)} s`
      : `${Math.floor(value / 60)} min ${Math.round(value % 60)} s`

/** A query on one line of the text view, its control characters escaped. */
const queryText = (query: string) => printable(queryLine(query, 100))

const who = (session: Session) =>
  `pid ${session.pid} ${printable(session.applicationName || "(no application name)")} (${printable(session.user)}${session.clientAddress ? ` from ${session.clientAddress}` : ""})`

/** The watch's text view of one reading. */
export const renderWatchSnapshot = (snapshot: WatchSnapshot): string => {
  const lines: string[] = [`${snapshot.observedAt}`]
  const state = snapshot.state
  lines.push(
    `version   ${state === undefined ? "none" : state.version}${state?.dirty ? "  DIRTY: a migration failed part-way" : ""}${snapshot.pending === undefined ? "" : `, ${countOf(snapshot.pending, "pending migration", "pending migrations")} in the directory`}`,
  )
  const migrating = snapshot.migrating
  if (migrating === undefined) {
    lines.push("no migration running (nobody holds the migration lock)")
  } else {
    lines.push(
      `migrating ${who(migrating)}, transaction open ${seconds(migrating.transactionSeconds)}, ${migrating.state ?? "unknown state"}${migrating.waitEventType === undefined ? "" : `, waiting on ${migrating.waitEventType}:${migrating.waitEvent ?? ""}`}`,
    )
    const running = snapshot.running
    if (running !== undefined) {
      lines.push(
        `  file    ${printable(running.file)} (${running.pendingIndex} of ${running.pendingCount} pending)`,
      )
      if (running.statement !== undefined) {
        const statement = running.statement
        lines.push(
          `  statement ${statement.index} of ${statement.count}, line ${statement.line}${statement.basis === "waits-for-its-lock" ? " (waits for its lock)" : ""}: ${queryText(statement.text)}`,
        )
      }
    } else {
      lines.push(
        `  query   ${queryText(migrating.query)} (running ${seconds(migrating.querySeconds)})`,
      )
    }
    const expected = snapshot.expected
    if (expected !== undefined) {
      lines.push(
        `  expected ${expected.runningSeconds === undefined ? "? (not in the rehearsal)" : seconds(expected.runningSeconds)} for this migration (rehearsal), ${seconds(expected.remainingSeconds)} for the ${countOf(snapshot.running!.pendingCount - snapshot.running!.pendingIndex, "migration", "migrations")} after it${expected.unknown > 0 ? ` (${expected.unknown} not in the rehearsal)` : ""}`,
      )
    }
    for (const lock of migrating.waitingFor) {
      lines.push(`  waits for ${lock.mode} on ${printable(lock.relation ?? lock.lockType)}`)
    }
  }
  for (const blocker of snapshot.blockers) {
    lines.push(
      `blocked by ${who(blocker)}: ${blocker.state ?? "?"} for ${seconds(blocker.stateSeconds)}, transaction open ${seconds(blocker.transactionSeconds)}: ${queryText(blocker.query)}`,
    )
  }
  if (snapshot.waitingForLock.length > 0) {
    lines.push(`waiting for the migration lock: ${snapshot.waitingForLock.map(who).join("; ")}`)
  }
  if (snapshot.blockedByTable.length > 0) {
    lines.push(
      `queued behind the migration: ${snapshot.blockedByTable.map((table) => `${countOf(table.sessions, "session", "sessions")} on ${printable(table.relation)}`).join(", ")}`,
    )
  }
  for (const action of snapshot.actions) lines.push(describeAction(action))
  return lines.join("\n")
}

/** One log line for what was done to a blocking session. */
export const describeAction = (action: BlockerAction): string => {
  const target = `${who(action.session)} after it blocked the migration (pid ${action.migratingPid}) for ${seconds(action.blockedSeconds)}; it ran: ${queryText(action.session.query)}`
  switch (action.outcome) {
    case "signalled":
      return `${action.action === "terminate" ? "terminated" : "cancelled the query of"} ${target}`
    case "gone":
      return `did not ${action.action} ${target}: the session had already ended`
    case "idle-in-transaction":
      return `did not cancel ${target}: it is idle in a transaction, which a cancel does not end; --terminate would end the session`
  }
}

/** What changes between readings in a way a log reader cares about (not the clocks). */
export const snapshotKey = (snapshot: WatchSnapshot): string =>
  JSON.stringify([
    snapshot.state,
    snapshot.migrating?.pid,
    snapshot.migrating?.waitingFor,
    snapshot.running?.version,
    snapshot.running?.statement?.index,
    snapshot.blockers.map((s) => s.pid),
    snapshot.blockedByTable,
    snapshot.waitingForLock.map((s) => s.pid),
  ])

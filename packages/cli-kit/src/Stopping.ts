/**
 * What the CLI says when a signal stops it. Ctrl-C is a hint only where a person pressed it
 * (SIGINT with a terminal on stdin); a service manager's SIGTERM or a `kill` gets the
 * signal's name.
 */
export const stoppingLine = (
  signal: NodeJS.Signals,
  fromTerminal: boolean = process.stdin.isTTY === true,
): string =>
  signal === "SIGINT" && fromTerminal
    ? "interrupted: finishing cleanly (press Ctrl-C again to exit at once)"
    : `${signal} received: finishing cleanly (a second signal exits at once)`

/**
 * How long a long-running command waits, after SIGTERM/SIGINT, for its program to stop
 * before it stops without it: service managers expect a stop within seconds.
 */
export const stopGraceMs = 1000

/** How to stop a long-running command: Ctrl-C for a person at a terminal, else the signals. */
export const stopHint = (fromTerminal: boolean = process.stdin.isTTY === true): string =>
  fromTerminal ? "Ctrl-C to stop" : "SIGTERM or SIGINT stops it"

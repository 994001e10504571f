// pgpass ships no types: the one function it exports (libpq's password file lookup).
declare module "pgpass" {
  const pgpass: (
    connection: {
      readonly host?: string
      readonly port?: number
      readonly database?: string
      readonly user?: string
    },
    callback: (password: string | undefined) => void,
  ) => void
  export default pgpass
}

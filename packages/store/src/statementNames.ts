/**
 * Statements one database connection keeps prepared at most. Beyond them, statements are parsed each time: the
 * store's statements are a few dozen fixed texts, so the bound only matters for text that varies (it never grows
 * without end).
 */
export const PREPARED_STATEMENTS_MAX = 256;

/**
 * Names for prepared statements, one per distinct text, the same on every connection of a database: the first
 * `max` texts asked for get one, later ones none, and neither does a statement without parameters (savepoints,
 * locks, `commit`: preparing gains them little). A statement without a name is sent as it is.
 */
export function statementNames(
  max = PREPARED_STATEMENTS_MAX,
): (sql: string, params?: readonly unknown[]) => string | undefined {
  const names = new Map<string, string>();
  return (sql, params) => {
    if (params === undefined || params.length === 0) return undefined;
    let name = names.get(sql);
    if (name === undefined && names.size < max) {
      name = `callpermit_${names.size + 1}`;
      names.set(sql, name);
    }
    return name;
  };
}

/** Names and URLs shared by the global setup and the per-file databases. */
export const TEMPLATE_DB = 'weft_test_template';
export const TEST_DB_PREFIX = 'weft_test_';

/** The same server URL with another database name. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = '/' + encodeURIComponent(database);
  return u.toString();
}

/** PostgreSQL's `integer`: ids past it are refused as bad requests, never sent to the database. */
export const INT4_MAX = 2_147_483_647;

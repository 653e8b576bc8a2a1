// Membership in a list of ids passed as one array parameter, for statements built once and prepared.
import { type SQL, sql } from 'drizzle-orm'
import type { AnyPgColumn } from 'drizzle-orm/pg-core'

/**
 * `column = any($placeholder::type[])`: one statement shape for any number of ids. A list of
 * parameters (drizzle's inArray) builds the SQL on every call and, as every statement is named on
 * PostgreSQL, prepares one statement per list length on every connection.
 */
export function inIdList(column: AnyPgColumn, placeholder: string, type: 'text' | 'uuid'): SQL {
  return sql`${column} = any(${sql.placeholder(placeholder)}::${sql.raw(type)}[])`
}

import { ObjectLiteral, Repository } from 'typeorm';

/**
 * An entity from a row as a raw query returned it (`RETURNING *`, or `row_to_json`, whose timestamps are text),
 * its values converted as TypeORM converts what it reads.
 */
export function hydrateRow<T extends ObjectLiteral>(repository: Repository<T>, raw: Record<string, unknown>): T {
  const driver = repository.manager.connection.driver;
  const entity = repository.create();
  for (const column of repository.metadata.columns) {
    if (!(column.databaseName in raw)) continue;
    let value = raw[column.databaseName];
    if (typeof value === 'string' && (column.type === 'timestamptz' || column.type === 'timestamp with time zone')) value = new Date(value);
    column.setEntityValue(entity, driver.prepareHydratedValue(value, column));
  }
  return entity;
}

/** The two SQL dialects of the catalog: one Kysely code path serves both. */
export type CatalogDialect = 'sqlite' | 'postgres';

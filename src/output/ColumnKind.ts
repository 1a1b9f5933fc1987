/** How a column is stored in parquet/arrow shards. */
export type ColumnKind = "string" | "int" | "double" | "bool" | "json";

/** One row ready to generate. */
export type PreparedRow = {
    /** Stable row index: the record's position in the input. */
    idx: number,
    /** The rendered user prompt (chat formatting is applied by the engine). */
    prompt: string,
    /** This row's own system message (from a prompt hook); absent: the run's. */
    system?: string,
    /** Tokens the model sees for this row, chat formatting included. */
    promptTokens: number,
    /** sha256 of the input record. */
    inputHash: string,
    /** The kept input columns. */
    columns: Record<string, unknown>
};

/** A row that cannot be generated (malformed input, duplicate, too long, a prompt hook that failed); it goes to the errors file. */
export type PreparedFailure = {
    idx: number,
    stage: "input" | "prepare" | "hook",
    reason: string,
    location: string
};

/** The prepare stage's result: what to generate, in generation order, and what already failed. */
export type PreparedJob = {
    rows: PreparedRow[],
    failures: PreparedFailure[],
    /** Input records considered (after maxRows). */
    totalRows: number,
    /** sha256 over every input record's hash, in input order: the input's identity. */
    inputHash: string,
    /** Input columns (names). */
    columns: string[],
    /** Most prompt tokens of any row. */
    maxPromptTokens: number,
    /** Whether this came from the cache of an earlier prepare. */
    fromCache: boolean,
    /** The cache file, when the input could be cached. */
    cacheFile: string | null
};

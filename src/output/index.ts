export {OutputStore} from "./OutputStore.js";
export type {OutputStoreOptions, OutputStoreStats} from "./OutputStore.js";
export {readOutput} from "./readOutput.js";
export type {OutputContents} from "./readOutput.js";
export {RESERVED_OUTPUT_COLUMNS, OUTPUT_FORMATS} from "./OutputRow.js";
export type {AnnotatedRow, FailedRow, OutputFormat} from "./OutputRow.js";
export type {Manifest, ShardEntry, ShardFileEntry} from "./Manifest.js";
export {
    ManifestCorruptError, OutputDirError, OutputLockedError, OutputNotFoundError, OutputWriteError,
    RunIdentityMismatchError, ShardCorruptError
} from "./outputErrors.js";

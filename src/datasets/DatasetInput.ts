import type {Readable} from "node:stream";

/** Where one file of a dataset comes from: a path on disk, or a stream (stdin). */
export type DatasetInput = {
    /** Name used in locations and messages, e.g. `data.jsonl`, `shards/part-1.csv` or `stdin`. */
    name: string;
    /** Absolute path of the file, or undefined for a stream. */
    path?: string;
    /** The stream to read when there is no path. */
    stream?: Readable | NodeJS.ReadableStream;
};

/** A record as a format reader yields it, before the dataset numbers it. */
export type RawRecord =
    | {
          location: string;
          values: Record<string, unknown>;
      }
    | {
          location: string;
          error: string;
          /** What the user should fix, for the error message: "line", "row" or "element". */
          unit: string;
      };

import {RESERVED_OUTPUT_COLUMNS} from "../output/OutputRow.js";
import {PrepareError} from "./PrepareError.js";

/**
 * The input columns a run copies to its output, checked so that none is overwritten by a column airlabel writes
 * (`idx`, `annotation`, `model`, ...): an input column of such a name is refused, naming it and `--keep-columns`,
 * never dropped or replaced. An `idx` column is kept while it holds each row's own idx (a dataset's row numbers:
 * nothing is replaced), and refused at the first row where it does not. Without `--keep-columns` every column is
 * kept, those that first appear past the rows the reader looked at included.
 */
export class KeptColumns {
    readonly #names: readonly string[];
    readonly #explicit: boolean;
    readonly #known: ReadonlySet<string>;
    readonly #idxColumn: string | undefined;
    readonly #input: string;
    readonly #columns: readonly string[];
    /** The names airlabel writes itself: RESERVED_OUTPUT_COLUMNS and the `reserved` option's. */
    readonly #reserved: readonly string[];

    /** `reserved`: more column names the run's readers write (a one-to-many run's `item` and `row_id`). */
    public constructor(
        columns: readonly string[],
        options: {
            keepColumns?: string[] | undefined;
            idxColumn?: string | undefined;
            input: string;
            fieldsMayBeAdded?: boolean;
            reserved?: readonly string[];
        }
    ) {
        this.#reserved = [...RESERVED_OUTPUT_COLUMNS, ...(options.reserved ?? [])];
        this.#explicit = options.keepColumns !== undefined;
        this.#names = options.keepColumns ?? columns;
        this.#known = new Set(this.#names);
        this.#idxColumn = options.idxColumn;
        this.#input = options.input;
        this.#columns = columns;
        for (const name of this.#names) {
            if (!columns.includes(name) && options.fieldsMayBeAdded !== true)
                throw new PrepareError(`--keep-columns names "${name}", which ${options.input} does not have; columns available: ${columns.join(", ")}`);
            this.#refuseReserved(name, undefined);
        }
    }

    /** The kept columns of the row with this `idx` (a kept column the row lacks is null). */
    public of(values: Record<string, unknown>, location: string, idx: number): Record<string, unknown> {
        const kept: Record<string, unknown> = {};
        for (const name of this.#names) kept[name] = values[name] ?? null;
        if (!this.#explicit) {
            for (const name of Object.keys(values)) {
                if (this.#known.has(name)) continue;
                this.#refuseReserved(name, location);
                kept[name] = values[name] ?? null;
            }
        }
        if ("idx" in kept && kept.idx !== idx && this.#idxColumn !== "idx") this.#refuseReserved("idx", location, kept.idx);
        return kept;
    }

    /** Refuses a kept column named like one airlabel writes; `idx` only once a row's value differs (`value`). */
    #refuseReserved(name: string, location: string | undefined, value?: unknown): void {
        if (!this.#reserved.includes(name) || (name === "idx" && (this.#idxColumn === "idx" || value === undefined))) return;
        const where = location ?? this.#input;
        const reservedList = this.#reserved.join(", ");
        const what = value !== undefined ? `holds ${describe(value)}, not the row's idx that airlabel writes in that column` : "";
        if (this.#explicit)
            throw new PrepareError(
                `${value !== undefined ? `${where}: ` : ""}--keep-columns names "${name}", a column airlabel writes itself (${reservedList}), which would replace its values${what !== "" ? ` (it ${what})` : ""}; ` +
                    `leave it out of --keep-columns, or rename the column in ${this.#input}`
            );
        const others = this.#columns.filter((column) => !this.#reserved.includes(column));
        throw new PrepareError(
            `${where}: input column "${name}" ${what !== "" ? what : `has the name of a column airlabel writes itself (${reservedList}), which would replace its values`}; ` +
                `rename the column in ${this.#input}, or leave it out with --keep-columns${others.length > 0 ? ` (e.g. --keep-columns ${others.join(",")})` : ' ""'}`
        );
    }
}

/** A value for a message (a bigint, which JSON.stringify refuses, as its digits). */
function describe(value: unknown): string {
    return typeof value === "bigint" ? String(value) : (JSON.stringify(value) ?? "nothing");
}

/**
 * How long an idle driver waits for more rows before it starts with fewer rows than it has sequences. 3 ms was too
 * short on a loaded 2-core machine (a fresh clone's `npm test`, two test files at once): the first rows of a run then
 * started over two steps in one run and one step in the next, and a seeded whole-vocabulary comparison differed. Paid
 * once when an idle driver starts with fewer rows than sequences; a full first wave starts at once.
 */
const SETTLE_MS = 25;

/**
 * When an idle generation driver starts its first step: at once when every free sequence has a row waiting, else once
 * no row has arrived for a few milliseconds. A worker receives the rows the pool hands it together as separate
 * messages, sometimes over several turns of its event loop (more so on a busy machine); a step's batch changes a
 * sequence's logits in the last bits, enough to change a sampled token, so rows handed together must start in the
 * same step for the same input to give the same batches and the same rows.
 */
export class StartGate {
    readonly #start: () => void;
    #timer: NodeJS.Timeout | undefined;
    #immediate: NodeJS.Immediate | undefined;

    /** `start` runs once per opening of the gate (the driver's loop). */
    public constructor(start: () => void) {
        this.#start = start;
    }

    /** Whether a start is scheduled and has not run yet. */
    public get pending(): boolean {
        return this.#timer !== undefined || this.#immediate !== undefined;
    }

    /** A row arrived while the driver was idle: `waiting` rows wait, `free` sequences are free. */
    public arrived(waiting: number, free: number): void {
        clearTimeout(this.#timer);
        this.#timer = undefined;
        if (this.#immediate !== undefined) return;
        // (after the rows that have already arrived in this turn)
        if (waiting >= free) this.#immediate = setImmediate(() => this.#open());
        else this.#timer = setTimeout(() => this.#open(), SETTLE_MS);
    }

    #open(): void {
        clearTimeout(this.#timer);
        clearImmediate(this.#immediate);
        this.#timer = undefined;
        this.#immediate = undefined;
        this.#start();
    }
}

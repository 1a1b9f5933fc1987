import type {OutputContents} from "./readOutput.js";

/** The rows one set of generation settings answered: the run's own, or one `--retry-failed` pass's. */
export interface SettingsPass {
    /** 0 for the run's own settings, k for the k-th `--retry-failed` pass. */
    pass: number;
    /** "run" or "retry k: maxTokens 4 -> 32" (see settingsLabel). */
    settings: string;
    /** Rows whose latest row this pass committed: answered, failed. */
    answered: number;
    failed: number;
}

/** How a pass's settings read in `stats` and in an export's settings column. */
export function settingsLabel(contents: Pick<OutputContents, "manifest">, pass: number): string {
    if (pass === 0) return "run";
    const changes = contents.manifest.retries?.[pass - 1]?.changes ?? [];
    return `retry ${pass}: ${changes.length > 0 ? changes.join(", ") : "same settings"}`;
}

/** Which settings answered the rows of a run (each row counted once, by its latest row); empty when it had no retry pass. */
export function settingsPasses(contents: OutputContents): SettingsPass[] {
    const retries = contents.manifest.retries ?? [];
    if (retries.length === 0) return [];
    const passes: SettingsPass[] = [0, ...retries.map((_, i) => i + 1)].map((pass) => ({
        pass,
        settings: settingsLabel(contents, pass),
        answered: 0,
        failed: 0
    }));
    for (const [records, key] of [
        [contents.rows, "answered"],
        [contents.errors, "failed"]
    ] as const) {
        for (const record of records) passes[contents.retryPass.get(Number(record.idx)) ?? 0]![key]++;
    }
    return passes;
}

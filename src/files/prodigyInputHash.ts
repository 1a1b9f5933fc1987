import {canonicalJson} from "../canonicalJson.js";
import {murmurhash3} from "./murmurhash3.js";

/**
 * The `_input_hash` airlabel's Prodigy export gives a row whose text is `text`: MurmurHash3 of its input (`{text}`),
 * with the text's occurrence number among the rows before it joined when it is not the first (so that identical texts
 * in one dataset are different inputs, while the first occurrence hashes the same in every dataset: what `--exclude`
 * matches on).
 */
export function prodigyInputHash(text: string, occurrence: number): number {
    return murmurhash3(canonicalJson(occurrence > 0 ? {text, _airlabel_row: occurrence} : {text}));
}

/** Numbers each text's occurrences in the order they are seen (0 for the first), as `prodigyInputHash` takes them. */
export class TextOccurrences {
    readonly #seen = new Map<string, number>();

    /** The occurrence number of `text` (counting this one). */
    public next(text: string): number {
        const occurrence = this.#seen.get(text) ?? 0;
        this.#seen.set(text, occurrence + 1);
        return occurrence;
    }
}

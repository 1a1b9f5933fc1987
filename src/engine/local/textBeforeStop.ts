/** An answer's text up to the first occurrence of any stop string (the stop itself excluded); the whole text when none occurs. */
export function textBeforeStop(text: string, stopStrings: readonly string[]): string {
    let cut = -1;
    for (const stop of stopStrings) {
        const at = text.indexOf(stop);
        if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    return cut >= 0 ? text.slice(0, cut) : text;
}

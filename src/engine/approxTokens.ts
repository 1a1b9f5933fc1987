/**
 * The remote backend has no tokenizer: prompt tokens are estimated as ceil(UTF-8 bytes / 4) (about right for
 * English text with BPE vocabularies; sorting and rate limits only need an estimate). The usage the server reports
 * is what is recorded per row.
 */
export function approxTokens(text: string): number {
    return Math.ceil(Buffer.byteLength(text, "utf8") / 4);
}

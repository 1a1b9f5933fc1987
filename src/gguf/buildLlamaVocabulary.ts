/** SentencePiece token types as GGUF stores them in `tokenizer.ggml.token_type`. */
export const llamaTokenType = {
    normal: 1,
    unknown: 2,
    control: 3,
    userDefined: 4,
    unused: 5,
    byte: 6
} as const;

/** A byte-fallback SentencePiece ("llama") vocabulary ready for the `tokenizer.ggml.*` metadata. */
export type LlamaVocabulary = {
    tokens: string[];
    scores: number[];
    tokenTypes: number[];
    unknownTokenId: number;
    bosTokenId: number;
    /** `</s>`: the end of a plain text; also an end-of-generation token. */
    endOfTextTokenId: number;
    imStartTokenId: number;
    /** `<|im_end|>`: the end of a ChatML turn; the model's EOS and EOT token. */
    imEndTokenId: number;
};

/** SentencePiece's visible space, U+2581. */
const spaceMarker = "\u2581";

/**
 * Common English words, most frequent first; each becomes a "▁word" token (and every "▁" prefix
 * of it, so that SentencePiece's pairwise merging can reach it).
 */
const commonWords = (
    "the of and to a in is that for it as was with be by on not he this are or his from at which but have an " +
    "they you were her she there one all we their been has when who will more no if out so said what up its " +
    "about into than them can only other new some could time these two may then do first any my now such like " +
    "our over man me even most made after also did many before must through back years where much your way well " +
    "down should because each just those people how too little state good very make world still own see men work " +
    "long get here between both life being under never day same another know while last might us great old year " +
    "off come since against go came right used take three yes label text answer positive negative neutral true false " +
    "null name value data model user system assistant json"
).split(" ");

/** Common word pieces, most frequent first; each becomes a token (with its prefixes). */
const commonPieces = (
    "th he in er an re on at en nd ti es or te of ed is it al ar st to nt ng se ha as ou io le ve co me de hi ri ro " +
    "ic ne ea ra ce li ch ll be ma si om ur ca el ta la ns di fo ho pe ec pr no ct us ac ot il tr ly nc et ut ss so " +
    "rs un lo wa ge ie wh ee wi em ad ol rt po we na ul ni ts mo ow pa im mi ai sh ir su id os iv ia am fi ci vi pl " +
    "ing tion ion ent ation ter and ers ing ment ness able ally ed ly es"
).split(" ");

/** JSON fragments frequent in constrained answers. */
const jsonPieces = ['{"', '":', '":"', '",', '"}', '","', '"]', '["', "{}", "[]", "\n\n", "\u2581\u2581"];

/**
 * Builds airlabel's byte-level SentencePiece vocabulary (`tokenizer.ggml.model = "llama"`):
 *
 * - 0 `<unk>` (UNKNOWN), 1 `<s>` (BOS, CONTROL), 2 `</s>` (CONTROL);
 * - 3..258 the byte-fallback tokens `<0x00>`..`<0xFF>` (BYTE), so every UTF-8 text tokenizes losslessly
 *   (except a literal U+2581, which SentencePiece reads as a space);
 * - 259 `<|im_start|>` and 260 `<|im_end|>` (CONTROL) for ChatML;
 * - `▁` and the printable ASCII characters `!`..`~` (NORMAL);
 * - a few hundred merges (common English words with their `▁` prefix, word pieces, JSON fragments),
 *   scored `-1, -2, ...` in priority order so SentencePiece merges the most common ones first.
 *
 * Deterministic: always the same vocabulary.
 */
export function buildLlamaVocabulary(): LlamaVocabulary {
    const tokens: string[] = [];
    const scores: number[] = [];
    const tokenTypes: number[] = [];
    const seen = new Set<string>();

    const add = (token: string, score: number, type: number) => {
        if (seen.has(token)) return;

        seen.add(token);
        tokens.push(token);
        scores.push(score);
        tokenTypes.push(type);
    };

    add("<unk>", 0, llamaTokenType.unknown);
    add("<s>", 0, llamaTokenType.control);
    add("</s>", 0, llamaTokenType.control);

    for (let byte = 0; byte < 256; byte++) add(`<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`, 0, llamaTokenType.byte);

    add("<|im_start|>", 0, llamaTokenType.control);
    add("<|im_end|>", 0, llamaTokenType.control);

    // single characters: never merged into, so their score only orders them after the merges
    add(spaceMarker, -10_000, llamaTokenType.normal);
    for (let code = 0x21; code <= 0x7e; code++) add(String.fromCharCode(code), -10_000 - (code - 0x20), llamaTokenType.normal);

    let mergeRank = 0;
    const addWithPrefixes = (piece: string) => {
        // every prefix of at least 2 characters, shortest first, so each can be reached by one pairwise merge
        for (let length = 2; length <= piece.length; length++) {
            const prefix = piece.slice(0, length);
            if (!seen.has(prefix)) add(prefix, -++mergeRank, llamaTokenType.normal);
        }
    };

    for (const word of commonWords) addWithPrefixes(spaceMarker + word);

    for (const piece of commonPieces) addWithPrefixes(piece);

    for (const piece of jsonPieces) addWithPrefixes(piece);

    const idOf = (token: string) => tokens.indexOf(token);
    return {
        tokens,
        scores,
        tokenTypes,
        unknownTokenId: idOf("<unk>"),
        bosTokenId: idOf("<s>"),
        endOfTextTokenId: idOf("</s>"),
        imStartTokenId: idOf("<|im_start|>"),
        imEndTokenId: idOf("<|im_end|>")
    };
}

import {canonicalJson} from "../../canonicalJson.js";
import {labelKeys} from "./labelKeys.js";

/** The answer the most samples agree on, and the share of the samples that gave it. */
export type MajorityVote = {
    /** Index (in `answers`) of the first answer with the winning vote. */
    index: number;
    /** Answers with the winning vote, over `samples` (failed samples vote for nothing). */
    share: number;
};

/**
 * Self-consistency (`--samples N`): the answers vote by their label (see labelKeys: the whole answer for an `enum`,
 * else the label properties' values; the whole answer where the schema has no label). The winner is the vote most
 * answers gave; between equally frequent votes, the one an earlier sample gave. `samples` counts every sample,
 * failed ones included. Undefined without answers.
 */
export function majorityVote(answers: readonly unknown[], schema: Record<string, unknown> | boolean | null, samples: number): MajorityVote | undefined {
    if (answers.length === 0) return undefined;
    const labels = labelKeys(schema);
    const voteOf = (answer: unknown): string => {
        if (labels === "root" || labels.length === 0 || typeof answer !== "object" || answer === null) return canonicalJson(answer);
        const record = answer as Record<string, unknown>;
        return canonicalJson(labels.map((key) => record[key]));
    };
    const counts = new Map<string, {count: number; first: number}>();
    answers.forEach((answer, i) => {
        const vote = voteOf(answer);
        const entry = counts.get(vote);
        if (entry === undefined) counts.set(vote, {count: 1, first: i});
        else entry.count++;
    });
    let best: {count: number; first: number} | undefined;
    for (const entry of counts.values()) if (best === undefined || entry.count > best.count) best = entry;
    return {index: best!.first, share: Math.round((best!.count / samples) * 1e6) / 1e6};
}

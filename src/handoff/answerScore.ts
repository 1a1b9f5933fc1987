import type {AnswerField} from "./resolveAnswerField.js";
import type {HandoffResponse} from "./readHandoffSource.js";

/**
 * The score a review tool shows beside a model's answer (Argilla's suggestion score, Label Studio's prediction score):
 * the confidence airlabel measured (`--confidence`, `--samples`), else a number in 0..1 the answer reports about
 * itself (a `confidence`, `score` or `probability` key beside the reviewed one), else null.
 */
export function answerScore(response: HandoffResponse | undefined, field: AnswerField): number | null {
    if (response === undefined || !response.ok) return null;
    if (typeof response.confidence === "number") return response.confidence;
    const annotation = response.annotation;
    if (field.key === null || typeof annotation !== "object" || annotation === null || Array.isArray(annotation)) return null;
    for (const key of ["confidence", "score", "probability"]) {
        const value = (annotation as Record<string, unknown>)[key];
        if (key !== field.key && typeof value === "number" && value >= 0 && value <= 1) return value;
    }
    return null;
}

import {canonicalJson} from "../canonicalJson.js";
import {murmurhash3} from "../files/murmurhash3.js";

/**
 * Prodigy's default hash keys (prodigy.util INPUT_HASH_KEYS / TASK_HASH_KEYS, as Prodigy's maintainers list them on
 * support.prodi.gy "Logic behind hash keys" and "function set_hashes"): the input hash covers what is annotated,
 * the task hash covers the question asked about it and is seeded with the input hash.
 */
export const PRODIGY_INPUT_HASH_KEYS = ["text", "image", "html", "input"] as const;
export const PRODIGY_TASK_HASH_KEYS = ["spans", "label", "options", "arcs"] as const;

/** The `_input_hash` and `_task_hash` of a Prodigy task. */
export interface ProdigyHashes {
    _input_hash: number;
    _task_hash: number;
}

/** What else a task's hashes cover, beyond Prodigy's default keys. */
export interface ProdigyHashExtra {
    /** The row's identity (airlabel: its text's occurrence number when not the first, see prodigyInputHash), so that rows with the same text are different inputs. Defaults to none. */
    row?: unknown;
    /** The answer the task carries and who gave it (airlabel: the model(s) and their value), so that exports of two models are different tasks. Defaults to none. */
    answer?: unknown;
}

/**
 * Stable `_input_hash`/`_task_hash` for a Prodigy task, computed the way Prodigy's `set_hashes` does: 32-bit signed
 * MurmurHash3 (the `murmurhash` package Prodigy uses) of the task's input keys, and of its task keys prefixed with the
 * input hash. Prodigy's exact serialization of the values before hashing is not published, so these numbers are
 * airlabel's own (canonical JSON, keys in the order above) and may differ from `set_hashes(task, overwrite=True)`;
 * they are stable across runs and machines, equal for equal inputs/questions, and Prodigy keeps the hashes a task
 * already carries (`set_hashes` without `overwrite`), so dedup and `exclude` work on them as on its own.
 * `extra.row` joins the input hash (each row its own input, whatever its text) and `extra.answer` the task hash.
 */
export function prodigyHashes(task: Readonly<Record<string, unknown>>, extra: ProdigyHashExtra = {}): ProdigyHashes {
    const input = pick(task, PRODIGY_INPUT_HASH_KEYS);
    if (extra.row !== undefined) input._airlabel_row = extra.row;
    const inputHash = murmurhash3(canonicalJson(input));
    const question = pick(task, PRODIGY_TASK_HASH_KEYS);
    if (extra.answer !== undefined) question._airlabel_answer = extra.answer;
    const taskHash = murmurhash3(String(inputHash) + canonicalJson(question));
    return {_input_hash: inputHash, _task_hash: taskHash};
}

function pick(task: Readonly<Record<string, unknown>>, keys: readonly string[]): Record<string, unknown> {
    const picked: Record<string, unknown> = {};
    for (const key of keys) if (task[key] !== undefined) picked[key] = task[key];
    return picked;
}

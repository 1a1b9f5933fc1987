import path from "node:path";
import {InvalidOptionError} from "../AirlabelError.js";
import type {CompareModelSpec} from "../options/CompareOptions.js";
import {isRemoteBackend} from "../options/isRemoteBackend.js";

const safeId = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/u;

/**
 * The model specs of a comparison with their ids: the given `name`, else the file name without `.gguf` (a server
 * model's name after its last `/`) with unsafe characters replaced by `-`; a repeated id gets `-2`, `-3`, ...
 * Throws InvalidOptionError for an unsafe or repeated name.
 */
export function assignModelIds(
    models: readonly (string | CompareModelSpec)[],
    origin = "options.models",
    baseBackend?: string
): (CompareModelSpec & {id: string})[] {
    if (!Array.isArray(models) || models.length === 0)
        throw new InvalidOptionError(`${origin} must list at least one model (a GGUF path or {name, model, ...})`);
    const specs = models.map((entry, i): CompareModelSpec => {
        if (typeof entry === "string" && entry.length > 0) return {model: entry};
        if (typeof entry === "object" && entry !== null && typeof entry.model === "string" && entry.model.length > 0) return entry;
        throw new InvalidOptionError(`${origin}[${i}] must be a model path or an object with a "model" string`);
    });
    const named = new Set<string>();
    specs.forEach((spec, i) => {
        if (spec.name === undefined) return;
        if (typeof spec.name !== "string" || !safeId.test(spec.name))
            throw new InvalidOptionError(
                `${origin}[${i}].name ${JSON.stringify(spec.name)} must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`
            );
        if (named.has(spec.name)) throw new InvalidOptionError(`${origin}[${i}].name "${spec.name}" is given twice; give each model its own name`);
        named.add(spec.name);
    });
    const taken = new Set(named);
    return specs.map((spec) => {
        if (spec.name !== undefined) return {...spec, id: spec.name};
        const base = defaultIdOf(spec, baseBackend);
        let id = base;
        for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
        taken.add(id);
        return {...spec, id};
    });
}

function defaultIdOf(spec: CompareModelSpec, baseBackend: string | undefined): string {
    const backend = spec.backend ?? baseBackend;
    const remote = isRemoteBackend(backend);
    const last = remote
        ? (spec.model
              .split("/")
              .filter((part) => part.length > 0)
              .pop() ?? spec.model)
        : path.basename(spec.model).replace(/\.gguf$/iu, "");
    const cleaned = last
        .replace(/[^A-Za-z0-9._-]+/gu, "-")
        .replace(/^[^A-Za-z0-9]+/u, "")
        .slice(0, 64);
    return cleaned.length > 0 ? cleaned : "model";
}

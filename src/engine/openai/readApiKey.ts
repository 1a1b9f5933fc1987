import fs from "node:fs";
import {AirlabelError} from "../../AirlabelError.js";

/** Raised when the API key's variable or file is missing or empty (the message never holds the key). */
export class ApiKeyError extends AirlabelError {}

/** Reads the API key from an environment variable or a file (first line, trimmed); null when neither is configured. */
export function readApiKey(source: {apiKeyEnv: string | null; apiKeyFile: string | null}, env: NodeJS.ProcessEnv = process.env): string | null {
    if (source.apiKeyEnv !== null) {
        const value = env[source.apiKeyEnv]?.trim();
        if (value === undefined || value === "")
            throw new ApiKeyError(`environment variable ${source.apiKeyEnv} (--api-key-env) is not set or empty; export the API key in it`);
        return value;
    }
    if (source.apiKeyFile !== null) {
        let text: string;
        try {
            text = fs.readFileSync(source.apiKeyFile, "utf8");
        } catch (err) {
            const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
            throw new ApiKeyError(`API key file ${source.apiKeyFile} (--api-key-file) cannot be read (${code}); check the path and its permissions`);
        }
        const value = text.split(/\r?\n/u)[0]?.trim() ?? "";
        if (value === "") throw new ApiKeyError(`API key file ${source.apiKeyFile} (--api-key-file) is empty; put the key on its first line`);
        return value;
    }
    return null;
}

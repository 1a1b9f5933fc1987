import fs from "node:fs";
import path from "node:path";
import {afterEach, describe, expect, test} from "vitest";
import {redactKey} from "../../src/engine/openai/redactKey.js";
import {runCli, tempDir, writeJsonl} from "../support/fixtures.js";
import {FakeOpenAIServer} from "./support/FakeOpenAIServer.js";

const key = "sk-CANARY/7d1e9f3a+SECRET";
/** Every form a server may echo the key in. */
const forms = {
    plain: key,
    jsonEscaped: JSON.stringify(key).slice(1, -1).replace(/\//gu, "\\/"),
    unicodeEscaped: key.replace(/\//gu, "\\u002f"),
    urlEncoded: encodeURIComponent(key),
    urlEncodedLower: encodeURIComponent(key)
        .toLowerCase()
        .replace(/%[0-9a-f]{2}/gu, (e) => e)
        .replace(/sk-canary/u, "sk-CANARY")
        .replace(/secret/u, "SECRET"),
    basicAuth: `Basic ${Buffer.from(`user:${key}`).toString("base64")}`,
    basicAuthNoUser: Buffer.from(`:${key}`).toString("base64"),
    base64Url: Buffer.from(`admin:${key}`).toString("base64url")
};

const servers: FakeOpenAIServer[] = [];
afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
});

function allFiles(root: string): string[] {
    return fs
        .readdirSync(root, {withFileTypes: true, recursive: true})
        .filter((e) => e.isFile())
        .map((e) => path.join(e.parentPath, e.name));
}

/** Whether a text holds the key in any of its forms, or decoded from one. */
function leaks(text: string): string | null {
    for (const [name, form] of Object.entries(forms)) if (text.includes(form)) return name;
    if (text.includes(key) || text.includes("7d1e9f3a+SECRET") || text.includes("7d1e9f3a%2BSECRET")) return "a part of the key";
    return null;
}

describe("redactKey", () => {
    test.each(Object.entries(forms))("%s is redacted inside surrounding text", (_name, form) => {
        const text = `{"error":{"message":"invalid key ${form}, see docs"}}`;
        const redacted = redactKey(text, key);
        expect(redacted).toContain("[redacted]");
        expect(leaks(redacted)).toBeNull();
        expect(leaks(JSON.stringify(JSON.parse(redacted)))).toBeNull();
    });

    test("text without the key is unchanged, base64 runs of other data included", () => {
        const text = `ok ${Buffer.from("user:another-key-entirely").toString("base64")} and sk-other/key`;
        expect(redactKey(text, key)).toBe(text);
        expect(redactKey(text, null)).toBe(text);
    });
});

describe("a server echoing the key in any form: nothing written holds it", () => {
    test("400 bodies (JSON-escaped, URL-encoded, base64 user:key), retried 500s and answers: the errors files and stderr say [redacted]", async () => {
        const echoes = Object.values(forms);
        const server = await FakeOpenAIServer.start({
            apiKey: key,
            script: (r) => {
                if (r.isProbe) return undefined;
                const n = Number(/row (\d+)/u.exec(r.prompt)?.[1] ?? -1);
                const form = echoes[n % echoes.length]!;
                // the issue's body, byte for byte: the key JSON-escaped by the server
                if (n === 0) return {status: 400, rawBody: `{"error":{"message":"invalid key ${forms.jsonEscaped}"}}`};
                if (n < echoes.length) return {status: 400, rawBody: JSON.stringify({error: {message: `invalid key ${form}`, type: "BadRequestError"}})};
                if (n < 2 * echoes.length)
                    return r.attemptForPrompt === 1 ? {status: 500, rawBody: JSON.stringify({error: {message: `failed for ${form}`}})} : undefined;
                if (n < 3 * echoes.length) return {answer: `not json ${form}`};
                return undefined;
            }
        });
        servers.push(server);
        const dir = tempDir();
        const rows = Array.from({length: 3 * echoes.length + 2}, (_, i) => ({text: `row ${i}`}));
        const input = writeJsonl(path.join(dir, "in.jsonl"), rows);
        const keyFile = path.join(dir, "key.txt");
        fs.writeFileSync(keyFile, `${key}\n`);
        const schema = path.join(dir, "schema.json");
        fs.writeFileSync(schema, JSON.stringify({type: "object", properties: {label: {enum: ["a", "b"]}}, required: ["label"]}));
        const output = path.join(dir, "out");
        const result = await runCli([
            "run",
            "-i",
            input,
            "-o",
            output,
            "--backend",
            "openai",
            "--base-url",
            server.url,
            "-m",
            "fake-model",
            "--api-key-file",
            keyFile,
            "-p",
            "{text}",
            "-s",
            schema,
            "--max-tokens",
            "16",
            "--retry-base-delay-ms",
            "1",
            "--retries-invalid",
            "0",
            "--json"
        ]);
        expect(result.code, result.stderr).toBe(0);
        expect(JSON.parse(result.stdout)).toMatchObject({totalRows: rows.length, failedRows: 2 * echoes.length, complete: true});
        const errors = fs
            .readdirSync(path.join(output, "errors"))
            .map((f) => fs.readFileSync(path.join(output, "errors", f), "utf8"))
            .join("");
        expect(errors).toContain("invalid key [redacted]");
        expect(errors).toContain("not json [redacted]");
        for (const file of allFiles(output)) expect(leaks(fs.readFileSync(file, "utf8")), file).toBeNull();
        expect(leaks(result.stdout + result.stderr)).toBeNull();
    });
});

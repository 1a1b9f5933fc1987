import {spawnSync} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {describe, expect, test} from "vitest";
import {repoRoot, tempDir} from "../support/fixtures.js";
import {checkInvariants, faultJob, runAirlabel} from "./harness.js";

/** `unshare -n` (as root) or `unshare -rn` (unprivileged user namespaces): whichever this kernel allows, if any. */
function networkNamespace(): string[] | undefined {
    for (const command of [
        ["unshare", "-n"],
        ["unshare", "-rn"]
    ]) {
        const probe = spawnSync(command[0]!, [...command.slice(1), "true"], {stdio: "ignore"});
        if (probe.status === 0) return command;
    }
    return undefined;
}

const isolate = networkNamespace();
if (isolate === undefined)
    console.warn(
        "offline.test.ts: SKIPPED the network-namespace run: this kernel refuses `unshare -n` and `unshare -rn` (no CAP_SYS_ADMIN and no unprivileged user namespaces)"
    );

describe("offline by construction", () => {
    test.runIf(isolate !== undefined)("a whole job runs inside a network namespace with no network (unshare -n) and completes", async () => {
        const job = await faultJob(12);
        const output = path.join(tempDir(), "out");
        // the namespace really has no network: only a loopback that is down
        const links = spawnSync(isolate![0]!, [...isolate!.slice(1), "cat", "/proc/net/dev"], {encoding: "utf8"});
        expect(
            links.stdout
                .split("\n")
                .slice(2)
                .filter((line) => line.trim() !== "")
                .map((line) => line.split(":")[0]!.trim())
        ).toEqual(["lo"]);
        const run = await runAirlabel(job.args(output, "--json"), {wrap: isolate!});
        expect(run.code, run.stderr).toBe(0);
        expect(JSON.parse(run.stdout)).toMatchObject({complete: true, totalRows: 12});
        expect((await checkInvariants(output, job.inputIdx, {settled: true})).complete).toBe(true);
    });

    test("node-llama-cpp is loaded in one place only, told never to build and never to download", () => {
        const sources = fs.readdirSync(path.join(repoRoot, "src"), {recursive: true, encoding: "utf8"}).filter((file) => file.endsWith(".ts"));
        const callers = sources.filter((file) => /\bgetLlama\s*\(/u.test(fs.readFileSync(path.join(repoRoot, "src", file), "utf8")));
        expect(callers).toEqual([path.join("llama", "loadLlama.ts")]);
        const loader = fs.readFileSync(path.join(repoRoot, "src", "llama", "loadLlama.ts"), "utf8");
        const call = loader.slice(loader.indexOf("getLlama("), loader.indexOf("})", loader.indexOf("getLlama(")));
        expect(call).toMatch(/build: "never"/u);
        expect(call).toMatch(/skipDownload: true/u);
    });
});

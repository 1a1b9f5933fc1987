import {spawnSync} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {describe, expect, test} from "vitest";
import {repoRoot} from "../support/fixtures.js";

// Docker cannot run on the development machines, so Dockerfile.cuda is checked statically: its stages, what each
// copies and runs, and that the build command is the one native/build.mjs accepts.

type Instruction = {keyword: string; args: string};
type Stage = {name: string; image: string; instructions: Instruction[]};

/** Instructions by stage (continuation lines joined, comments dropped). */
function parseDockerfile(text: string): {args: Map<string, string>; stages: Stage[]} {
    const lines = text
        .replace(/\\\n/gu, " ")
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => line.length > 0 && !line.startsWith("#"));
    const args = new Map<string, string>();
    const stages: Stage[] = [];
    for (const line of lines) {
        const [, keyword = "", rest = ""] = /^(\S+)\s*(.*)$/u.exec(line) ?? [];
        const instruction = {keyword: keyword.toUpperCase(), args: rest.replace(/\s+/gu, " ")};
        if (instruction.keyword === "FROM") {
            const [, image = "", name = ""] = /^(\S+)(?: AS (\S+))?$/iu.exec(instruction.args) ?? [];
            stages.push({name, image, instructions: []});
        } else if (stages.length === 0 && instruction.keyword === "ARG") {
            const [name = "", value = ""] = instruction.args.split("=");
            args.set(name, value);
        } else {
            stages.at(-1)?.instructions.push(instruction);
        }
    }
    return {args, stages};
}

const dockerfile = parseDockerfile(fs.readFileSync(path.join(repoRoot, "Dockerfile.cuda"), "utf8"));
const stage = (name: string) => dockerfile.stages.find((s) => s.name === name)!;
const runs = (s: Stage) =>
    s.instructions
        .filter((i) => i.keyword === "RUN")
        .map((i) => i.args)
        .join(" && ");

describe("Dockerfile.cuda (static check)", () => {
    test("three stages: node, a CUDA devel build, a CUDA runtime of the same version last", () => {
        expect(dockerfile.stages.map((s) => s.name)).toEqual(["node", "build", "runtime"]);
        expect(stage("build").image).toBe("nvidia/cuda:${CUDA_VERSION}-devel-ubuntu${UBUNTU_VERSION}");
        expect(stage("runtime").image).toBe("nvidia/cuda:${CUDA_VERSION}-runtime-ubuntu${UBUNTU_VERSION}");
        expect(dockerfile.args.get("CUDA_VERSION")).toMatch(/^\d+\.\d+\.\d+$/u);
    });

    test("the build stage builds the patched CUDA addon with the command native/build.mjs accepts", () => {
        const build = stage("build");
        const command = /npm run build:native -- (--gpu \S+)/u.exec(runs(build));
        expect(command?.[1]).toBe("--gpu cuda");
        const dryRun = spawnSync(process.execPath, [path.join(repoRoot, "native", "build.mjs"), "--gpu", "cuda", "--dry-run"], {
            cwd: repoRoot,
            encoding: "utf8"
        });
        expect(dryRun.stderr).not.toContain("--gpu must be one of");
        // the patch and the script travel into the image; the tools the script needs are installed there
        expect(build.instructions).toContainEqual({keyword: "COPY", args: "native ./native"});
        for (const tool of ["cmake", "g++", "git", "patch"])
            expect(runs(build)).toMatch(new RegExp(`apt-get install [^&]*\\s${tool.replace(/\+/gu, "\\+")}(\\s|$)`, "u"));
        expect(runs(build).indexOf("npm ci")).toBeLessThan(runs(build).indexOf("npm run build:native"));
    });

    test("every path the build stage copies from the repository exists", () => {
        const sources = stage("build")
            .instructions.filter((i) => i.keyword === "COPY" && !i.args.startsWith("--from"))
            .flatMap((i) => i.args.split(" ").slice(0, -1));
        expect(sources.length).toBeGreaterThan(5);
        for (const source of sources) expect(fs.existsSync(path.join(repoRoot, source)), source).toBe(true);
    });

    test("the runtime stage: airlabel as entrypoint, models and data as volumes, a non-root user, nothing fetched", () => {
        const runtime = stage("runtime");
        const one = (keyword: string) => runtime.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
        expect(one("ENTRYPOINT")).toEqual(['["node", "/opt/airlabel/dist/cli/main.js"]']);
        expect(one("VOLUME")).toEqual(['["/models", "/data"]']);
        expect(one("USER")).toEqual(["airlabel"]);
        expect(one("ENV").join(" ")).toContain("NODE_LLAMA_CPP_SKIP_DOWNLOAD=true");
        expect(one("COPY")).toEqual(
            expect.arrayContaining(["--from=build /opt/airlabel/node_modules ./node_modules", "--from=build /opt/airlabel/dist ./dist"])
        );
        expect(runs(runtime)).not.toMatch(/\b(curl|wget|apt-get|npm|git)\b/u);
        for (const s of dockerfile.stages) expect(s.instructions.filter((i) => i.keyword === "ADD")).toEqual([]);
    });
});

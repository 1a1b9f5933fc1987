import fs from "node:fs";
import {createRequire} from "node:module";
import path from "node:path";
import {isMainThread} from "node:worker_threads";

const stepsMarker = Buffer.from("airlabelStepsRun");

/**
 * Chooses how OpenMP's idle threads wait (`OMP_WAIT_POLICY`) unless the user has: llama.cpp's CPU backend runs each
 * decode in an OpenMP team, and what its threads do between decodes depends on what runs there.
 * - With airlabel's steps patch (a local build from `npm run build:native`), the decode loop, sampling included,
 *   runs natively on the team's own threads: OpenMP's default (spin a while, then sleep) is fastest. Measured on
 *   2 cores, 128k vocabulary, narrow model (bench/RESULTS.md): 8 sequences 2,541 total tok/s against 1,745 with
 *   PASSIVE, 128 sequences 3,451 against 3,008.
 * - Otherwise JavaScript samples and schedules between decodes, and a spinning team takes the cores that work needs:
 *   PASSIVE (24 rows with a schema, 8 sequences: 3.6 s of steps with spinning, 0.7 s without).
 *
 * libgomp reads the variable once, when llama.cpp is first loaded in the process, and worker threads only see a copy
 * of the environment: so this runs on the main thread, before any load.
 */
export function setOpenMpWaitPolicy(): void {
    if (!isMainThread || process.env.OMP_WAIT_POLICY !== undefined) return;
    if (!localBuildHasNativeLoop()) process.env.OMP_WAIT_POLICY = "PASSIVE";
}

/** Whether a local build (which node-llama-cpp prefers over its prebuilt binaries) has airlabel's steps patch. */
function localBuildHasNativeLoop(): boolean {
    try {
        const packageRoot = path.dirname(path.dirname(createRequire(import.meta.url).resolve("node-llama-cpp")));
        const builds = path.join(packageRoot, "llama", "localBuilds");
        return fs.readdirSync(builds).some((name) => {
            const addon = path.join(builds, name, "Release", "llama-addon.node");
            return fs.existsSync(addon) && fs.readFileSync(addon).includes(stepsMarker);
        });
    } catch {
        return false;
    }
}

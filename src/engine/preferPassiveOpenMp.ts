import {isMainThread} from "node:worker_threads";

/**
 * Makes OpenMP's idle threads sleep instead of spin (`OMP_WAIT_POLICY=PASSIVE`) unless the user has chosen a
 * policy. llama.cpp's CPU backend runs each decode in an OpenMP team; between decodes airlabel samples, schedules
 * and writes, and a spinning team takes the cores that work needs. Measured on 2 cores (bench/RESULTS.md): 24 rows
 * with a schema, 8 sequences, 128k vocabulary: 3.6 s of steps with spinning, 0.7 s without, every figure of the
 * decode itself included. libgomp reads the variable once, when llama.cpp is first loaded in the process, and
 * worker threads only see a copy of the environment: so this runs on the main thread, before any load.
 */
export function preferPassiveOpenMp(): void {
    if (isMainThread && process.env.OMP_WAIT_POLICY === undefined) process.env.OMP_WAIT_POLICY = "PASSIVE";
}

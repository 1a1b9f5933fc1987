import {isMainThread} from "node:worker_threads";

/**
 * Makes OpenMP's idle threads sleep instead of spin (`OMP_WAIT_POLICY=PASSIVE`) unless the user has chosen a policy.
 * llama.cpp's CPU backend runs each decode in an OpenMP team; whenever the decode loop hands over to JavaScript (a row
 * finished: validation, the next row, the output), a spinning team takes the cores that work needs. Measured on 2
 * cores (bench/RESULTS.md): `npm run demo` (200 rows with a schema, answers of different lengths) 10.0 rows/s with
 * PASSIVE against 4.0 with OpenMP's default; a fixed-length benchmark whose rows all end together (`airlabel bench`,
 * 128k vocabulary) is the other way round, 2,541 against 1,745 total tok/s at 8 sequences, so a throughput benchmark
 * may set `OMP_WAIT_POLICY=` (empty: OpenMP's default) itself.
 *
 * libgomp reads the variable once, when llama.cpp is first loaded in the process, and worker threads only see a copy
 * of the environment: so this runs on the main thread, before any load.
 */
export function setOpenMpWaitPolicy(): void {
    if (isMainThread && process.env.OMP_WAIT_POLICY === undefined) process.env.OMP_WAIT_POLICY = "PASSIVE";
}

// Test-only preload: `node --import ./test/faults/crashPreload.mjs dist/cli/main.js ...`.
// With AIRLABEL_CRASH_AT=name[:n] it SIGKILLs its own process at the n-th time (default 1st) airlabel reaches the
// crash point `name` (src/files/crashPoint.ts). With AIRLABEL_CRASH_LOG=file it appends every point reached to file.
// Production airlabel never loads this file; without it, crashPoint() does nothing.
import fs from "node:fs";

const spec = process.env.AIRLABEL_CRASH_AT ?? "";
const logFile = process.env.AIRLABEL_CRASH_LOG ?? "";
if (spec !== "" || logFile !== "") {
    const [name, count = "1"] = spec.split(":");
    const at = Number(count);
    let hits = 0;
    globalThis[Symbol.for("airlabel.crashPoint")] = (point) => {
        if (logFile !== "") fs.appendFileSync(logFile, `${point}\n`);
        if (point !== name) return;
        hits++;
        if (hits === at) process.kill(process.pid, "SIGKILL");
    };
}

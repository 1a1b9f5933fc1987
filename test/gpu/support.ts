import {loadLlama} from "../../src/llama/loadLlama.js";
import {placementSupport} from "../../src/engine/local/placement/placementSupport.js";

/**
 * Whether this install has airlabel's patched CPU build (`npm run build:native -- --gpu cpu`). It is a build
 * artifact in node_modules (a fresh `npm ci` has none, and an `npm install` removes it), so the suites that load a
 * model with placement parameters run only where it is; the rules themselves are tested without it.
 * CI builds it (.ci/run) and sets AIRLABEL_REQUIRE_NATIVE=1: there those suites always run, and fail without it.
 */
export const patchedCpuBuild = placementSupport(await loadLlama("cpu")) !== null || process.env.AIRLABEL_REQUIRE_NATIVE === "1";

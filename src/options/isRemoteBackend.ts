import type {BackendChoice} from "./BackendOptions.js";

/** Whether a backend option (as given, before validation) names the remote engine: "openai" or its alias "vllm". */
export function isRemoteBackend(backend: BackendChoice | unknown): boolean {
    return backend === "openai" || backend === "vllm";
}

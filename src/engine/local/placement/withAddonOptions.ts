/** A class of node-llama-cpp's addon bindings whose constructor takes an options object as its second argument. */
type AddonClass = new (first: unknown, options: Record<string, unknown>) => object;

/**
 * Runs `use` while the bindings' `name` class (`AddonModel`, `AddonContext`) is wrapped to add `extra` to the options
 * object node-llama-cpp passes its constructor, which airlabel's patched addon reads (placement, one KV cache).
 * node-llama-cpp's own `loadModel` / `createContext` pass a fixed set of keys; each worker thread has its own
 * bindings, so nothing is set process-wide. The class is put back when `use` settles.
 */
export async function withAddonOptions<T>(bindings: Record<string, unknown>, name: string, extra: Record<string, unknown>, use: () => Promise<T>): Promise<T> {
    const original = bindings[name] as AddonClass;
    bindings[name] = new Proxy(original, {
        construct(target, args: unknown[]) {
            const [first, options] = args as [unknown, Record<string, unknown> | undefined];
            return Reflect.construct(target, [first, {...options, ...extra}], target) as object;
        }
    });
    try {
        return await use();
    } finally {
        bindings[name] = original;
    }
}

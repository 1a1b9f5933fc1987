/**
 * More checks of an answer the schema accepted, and the value stored for it (the user's validate/parse hooks).
 * `error` fails the row at stage "hook" at once (a broken hook is not the model's fault); `invalid` is retried like a
 * schema failure.
 */
export type AnswerHooks = {
    validate?: (answer: unknown) => Promise<{ok: true} | {invalid: string} | {error: string}>;
    parse?: (answer: unknown) => Promise<{value: unknown} | {error: string}>;
};

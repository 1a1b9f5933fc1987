/** One generated token: its text (the pieces of an answer, in order, spell it) and its log-probability. */
export type TokenLogprob = {
    text: string;
    /** Natural log of the token's probability under the model's own distribution (before temperature, penalties and grammar). */
    logprob: number;
};

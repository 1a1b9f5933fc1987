import {setImmediate as nextMacrotask} from "node:timers/promises";
import {LlamaGrammarEvaluationState, type LlamaContext, type LlamaContextSequence, type LlamaModel, type Token} from "node-llama-cpp";
import {DEFAULT_PENALTY_LAST_N} from "../../options/generationParams.js";
import {batchSampling} from "./batchSampling.js";
import {grammarEndedCheck} from "./grammarEndedCheck.js";
import {penaltyAndBias} from "./penaltyAndBias.js";
import type {GenerationDriver, GenerationDriverOptions, GenerationOutput, GenerationRequest} from "./GenerationRequest.js";
import {stepProfileWithNativeStats} from "./nativeSamplingStats.js";
import {textBeforeStop} from "./textBeforeStop.js";
import type {StepProfileSlot} from "../StepProfile.js";
import {StartGate} from "./StartGate.js";

type Active = {
    request: GenerationRequest;
    sequence: LlamaContextSequence;
    iterator: AsyncGenerator<Token, void, Token | Token[] | undefined>;
    grammarState: LlamaGrammarEvaluationState | undefined;
    tokens: Token[];
    /** Length of the longest stop string (0: none). */
    longestStop: number;
    startedAt: number;
    firstTokenMs: number;
    evaluatedPromptTokens: number;
    resolve: (output: GenerationOutput) => void;
    reject: (err: unknown) => void;
};

type Waiting = Pick<Active, "request" | "resolve" | "reject">;

/**
 * Drives every sequence of one context in lockstep: each step asks all active sequences for their next token in
 * the same tick, so node-llama-cpp packs them into one decode batch (one `llama_decode` per step carrying every
 * ready sequence, new prompts included), then handles the results together. A sequence that finishes takes the
 * next waiting request at the following step, keeping the prompt prefix it shares with its previous one.
 *
 * One `LlamaCompletion` per sequence instead lets each sequence queue its next token whenever its own sampling
 * returns, which splits the work into many small batches (about half of llama.cpp's throughput at 32 sequences).
 */
export class LockstepDriver implements GenerationDriver {
    private readonly _context: LlamaContext;
    private readonly _model: LlamaModel;
    private readonly _free: LlamaContextSequence[] = [];
    /** Creation order of each sequence (= its llama.cpp sequence id order). */
    private readonly _order = new Map<LlamaContextSequence, number>();
    private readonly _active: Active[] = [];
    private readonly _waiting: Waiting[] = [];
    private _running = false;
    private readonly _gate = new StartGate(() => {
        this._running = true;
        void this._run();
    });
    private _disposed = false;
    private readonly _profileSlot: StepProfileSlot | undefined;
    private readonly _profile = {steps: 0, sequenceSteps: 0, stepMs: 0};
    private readonly _grammarEnded: ((state: LlamaGrammarEvaluationState) => boolean) | undefined;

    public constructor(options: GenerationDriverOptions) {
        this._context = options.context;
        this._model = options.context.model;
        this._grammarEnded = grammarEndedCheck(this._model);
        this._profileSlot = options.profile;
        // one native sampling call per step instead of one per sequence, where the addon has airlabel's patch
        batchSampling(this._context);
        while (this._context.sequencesLeft > 0) {
            const sequence = this._context.getSequence();
            this._order.set(sequence, this._order.size);
            this._free.push(sequence);
        }
    }

    public generate(request: GenerationRequest): Promise<GenerationOutput> {
        if (this._disposed) return Promise.reject(new Error("LockstepDriver is disposed"));
        return new Promise((resolve, reject) => {
            this._waiting.push({request, resolve, reject});
            // rows handed to the worker together start in the same step (see StartGate)
            if (!this._running) this._gate.arrived(this._waiting.length, this._free.length);
        });
    }

    /** Stops taking requests; sequences are freed with the context. Safe to call twice. */
    public dispose(): void {
        this._disposed = true;
    }

    private async _run(): Promise<void> {
        try {
            while (!this._disposed && (this._active.length > 0 || this._waiting.length > 0)) {
                const stepStart = performance.now();
                await this._admitWaiting();
                if (this._active.length === 0) continue;
                const sequences = this._active.length;
                // recorded before any finished row resolves, so the profile a caller reads after its last row is whole
                await this._step(() => this._recordStep(performance.now() - stepStart, sequences));
                // a sequence came free: let finished rows' callers queue their next attempt, and the worker receive
                // new tasks, before the next step
                if (this._free.length > 0) await nextMacrotask();
            }
        } finally {
            this._running = false;
        }
    }

    private _recordStep(ms: number, sequences: number): void {
        if (this._profileSlot === undefined) return;
        this._profile.steps++;
        this._profile.sequenceSteps += sequences;
        this._profile.stepMs += ms;
        this._profileSlot.write(stepProfileWithNativeStats(this._profile, this._context));
    }

    private async _admitWaiting(): Promise<void> {
        const admitted: Promise<void>[] = [];
        // lowest sequence ids first (pop takes from the end)
        this._free.sort((a, b) => this._order.get(b)! - this._order.get(a)!);
        while (this._free.length > 0 && this._waiting.length > 0) {
            const waiting = this._waiting.shift()!;
            const sequence = this._free.pop()!;
            admitted.push(this._start(waiting, sequence));
        }
        await Promise.all(admitted);
    }

    private async _start(waiting: Waiting, sequence: LlamaContextSequence): Promise<void> {
        const {request} = waiting;
        try {
            // keep the prefix this sequence already holds (shared system message and template), evaluate the rest
            const prompt = request.tokens;
            await sequence.adaptStateToTokens(prompt.slice(0, -1), false);
            const toEvaluate = prompt.slice(sequence.nextTokenIndex);
            const grammarEvaluationState =
                request.grammar !== undefined ? new LlamaGrammarEvaluationState({model: this._model, grammar: request.grammar}) : undefined;
            const recent: Token[] = [];
            const lastN = request.params?.penaltyLastN ?? DEFAULT_PENALTY_LAST_N;
            const iterator = sequence.evaluate(toEvaluate, {
                temperature: request.temperature,
                topP: request.topP,
                topK: request.topK,
                minP: request.minP,
                seed: request.seed,
                ...(grammarEvaluationState !== undefined ? {grammarEvaluationState} : {}),
                ...penaltyAndBias(this._model, request, () => (lastN === 0 ? [] : recent.slice(-lastN))),
                yieldEogToken: true
            });
            this._active.push({
                request,
                sequence,
                iterator,
                grammarState: grammarEvaluationState,
                tokens: recent,
                longestStop: Math.max(0, ...request.stopStrings.map((stop) => stop.length)),
                startedAt: performance.now(),
                firstTokenMs: -1,
                evaluatedPromptTokens: toEvaluate.length,
                resolve: waiting.resolve,
                reject: waiting.reject
            });
        } catch (err) {
            this._free.push(sequence);
            waiting.reject(err);
        }
    }

    /** One decode step for every active sequence; `onStepDone` runs once the tokens are handled, before any row finishes. */
    private async _step(onStepDone: () => void): Promise<void> {
        // Batch items in ascending sequence id order: llama.cpp (one KV stream per sequence) then splits the step into
        // one ubatch; in another order it splits it into several and a step costs over 3x more (measured: 95 ms vs
        // 320 ms per step, 32 sequences, 85M F16 model, 1 thread).
        const sorted = this._active.splice(0).sort((a, b) => this._order.get(a.sequence)! - this._order.get(b.sequence)!);
        // a generation past its time limit ends before the step, with what it generated (as the native loop does)
        const now = performance.now();
        const finished: (() => Promise<void>)[] = [];
        const active: Active[] = [];
        for (const a of sorted) {
            const limit = a.request.timeLimitMs ?? 0;
            if (limit > 0 && now - a.startedAt >= limit) finished.push(() => this._finish(a, "timeout"));
            else active.push(a);
        }
        // all next() calls in one synchronous loop: their decodes land in the same batch
        const results = await Promise.allSettled(active.map((a) => a.iterator.next()));
        for (let i = 0; i < active.length; i++) {
            const a = active[i]!;
            const result = results[i]!;
            if (result.status === "rejected") {
                finished.push(() => this._finish(a, null, result.reason));
                continue;
            }
            if (result.value.done === true) {
                finished.push(() => this._finish(a, "stop"));
                continue;
            }
            const token = result.value.value;
            if (a.firstTokenMs < 0) a.firstTokenMs = performance.now() - a.startedAt;
            if (this._model.isEogToken(token) && !a.request.ignoreEos) {
                finished.push(() => this._finish(a, "stop"));
                continue;
            }
            a.tokens.push(token);
            if (a.longestStop > 0) {
                // a new stop can only end in the text of the last few tokens (each token is at least one character);
                // detokenized together, so the spaces between them come out as in the answer
                const tail = this._model.detokenize(a.tokens.slice(-(a.longestStop + 1)), false);
                if (a.request.stopStrings.some((stop) => tail.includes(stop))) {
                    finished.push(() => this._finish(a, "stop"));
                    continue;
                }
            }
            if (a.tokens.length >= a.request.maxTokens) {
                finished.push(() => this._finish(a, "length"));
                continue;
            }
            // the grammar admits only end-of-generation: the answer ends without its last token decoded (as in the native loop)
            if (a.grammarState !== undefined && !a.request.ignoreEos && this._grammarEnded?.(a.grammarState) === true) {
                finished.push(() => this._finish(a, "stop"));
                continue;
            }
            this._active.push(a);
        }
        onStepDone();
        await Promise.all(finished.map((finish) => finish()));
    }

    private async _finish(a: Active, finishReason: GenerationOutput["finishReason"] | null, error?: unknown): Promise<void> {
        try {
            await a.iterator.return(undefined);
        } catch {
            // the generator's own cleanup failing does not change the answer
        }
        this._free.push(a.sequence);
        if (finishReason === null) {
            a.reject(error);
            return;
        }
        const text = textBeforeStop(this._model.detokenize(a.tokens, false), a.request.stopStrings);
        a.resolve({
            text,
            generatedTokens: a.tokens.length,
            finishReason,
            firstTokenMs: Math.max(0, a.firstTokenMs),
            generationMs: performance.now() - a.startedAt,
            evaluatedPromptTokens: a.evaluatedPromptTokens
        });
    }
}

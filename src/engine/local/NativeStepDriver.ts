import {setImmediate as nextMacrotask} from "node:timers/promises";
import type {LlamaContext, LlamaContextSequence, LlamaGrammarEvaluationState, LlamaModel, Token} from "node-llama-cpp";
import {type AddonContext, addonContextOf, type NativeStepsCounts, type NativeStepsResult} from "./addonContextOf.js";
import type {AddonSampler} from "./addonSamplerClass.js";
import {createAddonSampler} from "./createAddonSampler.js";
import type {GenerationDriver, GenerationDriverOptions, GenerationOutput, GenerationRequest} from "./GenerationRequest.js";
import {stepProfileWithNativeStats} from "./nativeSamplingStats.js";
import type {StepProfileSlot} from "../StepProfile.js";
import {sharedPrefixOf} from "./sharedPrefixOf.js";
import {textBeforeStop} from "./textBeforeStop.js";
import {tokenLogprobsOf} from "./tokenLogprobsOf.js";
import {StartGate} from "./StartGate.js";

type Slot = {
    sequence: LlamaContextSequence;
    id: number;
    /** The tokens the sequence's cells hold, from position 0. */
    held: Token[];
    /** The cells are in an unknown state (a failed generation): the next row empties them first. */
    unknown: boolean;
};

type Active = {
    request: GenerationRequest;
    slot: Slot;
    sampler: AddonSampler;
    /** Kept while the native sampler uses its native state. */
    grammarState: LlamaGrammarEvaluationState | undefined;
    evaluatedPromptTokens: number;
    /** performance.now() when it took its sequence. */
    startedAt: number;
    resolve: (output: GenerationOutput) => void;
    reject: (err: unknown) => void;
};

type Waiting = Pick<Active, "request" | "resolve" | "reject">;

type Steps = Required<
    Pick<AddonContext, "airlabelStepsAdd" | "airlabelStepsRun" | "airlabelStepsInterrupt" | "airlabelStepsCancel" | "removeTokenCellsFromSequence">
> &
    Pick<AddonContext, "airlabelStepsTimeLimits" | "airlabelStepsLogprobs" | "airlabelStepsAck" | "airlabelStepsJumpForward" | "airlabelStepsSharePrefix">;

/** A shared prefix shorter than this is evaluated by each sequence itself (a copy costs a whole sequence's cache). */
const MIN_SHARED_PREFIX = 16;

/** The addon's native decode loop, or undefined when the binary lacks airlabel's steps patch. */
export function nativeStepsOf(context: LlamaContext): Steps | undefined {
    const addon = addonContextOf(context);
    if (
        addon?.airlabelStepsAdd === undefined ||
        addon.airlabelStepsRun === undefined ||
        addon.airlabelStepsInterrupt === undefined ||
        addon.airlabelStepsCancel === undefined
    )
        return undefined;
    return addon as Steps;
}

/**
 * Runs every sequence of one context through the native decode loop of airlabel's steps patch: one call decodes,
 * samples and checks every active sequence step after step, and comes back to JavaScript only when a generation
 * finishes (or a new row waits for a free sequence). The steps are those of {@link LockstepDriver}, which does the
 * same loop in JavaScript through node-llama-cpp's `evaluate()` at tens of microseconds a sequence a step: on a GPU,
 * where a step of 128 sequences takes a few milliseconds, that host time decided the throughput.
 *
 * With the overlap patch the loop does not come back at all until nothing is left: it hands each step's finished
 * generations over as an event and goes on; the events are handled one at a time (rows resolve, their callers queue
 * what comes next, free sequences take waiting rows, the loop is told), and those rows join two steps after the
 * event's step, whenever the handling ends (`overlap`: the default on a GPU, see localWorker).
 *
 * A sequence keeps the tokens its cells hold, so a row that shares a prompt prefix with the sequence's previous
 * one evaluates only the rest.
 */
export class NativeStepDriver implements GenerationDriver {
    private readonly _model: LlamaModel;
    private readonly _steps: Steps;
    private readonly _context: LlamaContext;
    private readonly _free: Slot[] = [];
    private readonly _active = new Map<number, Active>();
    private readonly _waiting: Waiting[] = [];
    private _running = false;
    private _inFlight = false;
    private readonly _gate = new StartGate(() => {
        this._running = true;
        void this._run();
    });
    private _disposed = false;
    private readonly _profileSlot: StepProfileSlot | undefined;
    private _profile = {steps: 0, sequenceSteps: 0, stepMs: 0};
    /** Overlap patch (`overlap`): finished rows are handled while the loop runs the others. */
    private readonly _overlapped: boolean;
    /** The loop's events, handled one after another (each: finish its rows, add the next ones, acknowledge). */
    private _events: Promise<void> = Promise.resolve();
    private _pendingEvents = 0;
    /** Shared prefixes (`sharePrefix`): the first rows' common prompt prefix is evaluated once and copied. */
    private readonly _sharePrefix: boolean;
    /** The profile when the run in flight started. */
    private _runBase = {steps: 0, sequenceSteps: 0, stepMs: 0};

    public constructor(options: GenerationDriverOptions) {
        const steps = nativeStepsOf(options.context);
        if (steps === undefined) throw new Error("NativeStepDriver needs a llama.cpp binary with airlabel's steps patch (npm run build:native)");
        this._steps = steps;
        this._overlapped = typeof steps.airlabelStepsAck === "function" && options.overlap === true;
        steps.airlabelStepsJumpForward?.(options.jumpForward !== false);
        this._sharePrefix = options.sharePrefix !== false && typeof steps.airlabelStepsSharePrefix === "function";
        this._context = options.context;
        this._model = options.context.model;
        this._profileSlot = options.profile;
        while (this._context.sequencesLeft > 0) {
            const sequence = this._context.getSequence();
            // node-llama-cpp's llama.cpp sequence id (internal; sequences are numbered from 0 in creation order)
            const id = (sequence as unknown as {_sequenceId?: number})._sequenceId ?? this._free.length;
            this._free.push({sequence, id, held: [], unknown: false});
        }
    }

    public generate(request: GenerationRequest): Promise<GenerationOutput> {
        if (this._disposed) return Promise.reject(new Error("the generation driver is disposed"));
        return new Promise((resolve, reject) => {
            this._waiting.push({request, resolve, reject});
            // rows handed to the worker together start in the same step (see StartGate)
            if (!this._running) this._gate.arrived(this._waiting.length, this._free.length);
            // a free sequence can take it at the next step instead of when a row finishes (an event being handled
            // takes it anyway)
            else if (this._inFlight && this._free.length > 0 && this._pendingEvents === 0) this._steps.airlabelStepsInterrupt();
        });
    }

    /** Stops taking requests; generations in progress are rejected when the loop returns. Safe to call twice. */
    public dispose(): void {
        this._disposed = true;
        if (this._running) this._steps.airlabelStepsInterrupt();
    }

    private async _run(): Promise<void> {
        try {
            while (!this._disposed && (this._active.size > 0 || this._waiting.length > 0)) {
                const started = performance.now();
                if (this._active.size === 0) await this._shareWaitingPrefix();
                this._admitWaiting();
                if (this._active.size === 0) continue;
                this._inFlight = true;
                // with the overlap the loop times its own steps (its waits for JavaScript included); the rows' admission
                // before the first is host time too
                const admitted = this._overlapped ? performance.now() - started : 0;
                this._runBase = {...this._profile, stepMs: this._profile.stepMs + admitted};
                let result: NativeStepsResult;
                try {
                    result = await (this._overlapped ? this._steps.airlabelStepsRun(this._onEvent) : this._steps.airlabelStepsRun());
                } finally {
                    this._inFlight = false;
                }
                // (every event was acknowledged before the run returned; their handlers have run)
                await this._events;
                for (const finished of result.finished) this._finish(finished);
                // recorded before any finished row's caller runs, so the profile a caller reads after its last row is whole
                this._recordRun(result, this._overlapped ? result.stepMs : performance.now() - started);
                // a sequence came free: let finished rows' callers queue their next attempt, and the worker receive
                // new tasks, before the next run
                if (this._free.length > 0) await nextMacrotask();
            }
        } catch (err) {
            this._rejectAll(err);
        } finally {
            this._running = false;
            if (this._disposed) this._rejectAll(new Error("the generation driver is disposed"));
        }
    }

    /**
     * Shared prefixes: rows about to start on sequences that lack their common prompt prefix (a run's first rows)
     * get it evaluated once, on one of those sequences, and copied to the others (llama.cpp's seq_cp), so each row
     * evaluates only the rest, as a sequence's own prefix reuse has it do from its second row on. A failed copy leaves
     * those sequences to be emptied by their next rows (which then evaluate their whole prompts).
     */
    private async _shareWaitingPrefix(): Promise<void> {
        if (!this._sharePrefix || this._waiting.length < 2 || this._free.length < 2) return;
        const prefix = sharedPrefixOf(this._waiting.slice(0, this._free.length).map((waiting) => waiting.request.tokens));
        if (prefix.length < MIN_SHARED_PREFIX) return;
        const lacking = this._free.filter((slot) => slot.unknown || slot.held.length < prefix.length || prefix.some((token, i) => slot.held[i] !== token));
        if (lacking.length < 2) return;
        try {
            await this._steps.airlabelStepsSharePrefix!(
                lacking[0]!.id,
                Uint32Array.from(prefix),
                lacking.map((slot) => slot.id)
            );
            for (const slot of lacking) {
                slot.held = [...prefix];
                slot.unknown = false;
            }
        } catch {
            for (const slot of lacking) this._forget(slot);
        }
    }

    private _rejectAll(err: unknown): void {
        if (!this._inFlight) this._steps.airlabelStepsCancel();
        for (const active of this._active.values()) {
            active.sampler.dispose();
            this._forget(active.slot);
            this._free.push(active.slot);
            active.reject(err);
        }
        this._active.clear();
        for (const waiting of this._waiting.splice(0)) waiting.reject(err);
    }

    /**
     * Overlap patch: the generations that finished in one step of the run in flight. Handled in order, one event at
     * a time: their rows resolve, their callers queue what comes next, the free sequences take waiting rows (which
     * join the loop two steps after the event's), then the loop is told.
     */
    private readonly _onEvent = (finished: NativeStepsResult["finished"], eventId: number, counts: NativeStepsCounts): void => {
        this._pendingEvents++;
        // the native call runs no microtasks after it (as a promise's continuation would need): chained from a
        // macrotask, in the order the events came
        setImmediate(() => this._handleEvent(finished, eventId, counts));
    };

    private _handleEvent(finished: NativeStepsResult["finished"], eventId: number, counts: NativeStepsCounts): void {
        this._events = this._events.then(async () => {
            try {
                // recorded before its rows resolve: a caller reading the profile after its last row reads it whole
                this._recordRun(counts, counts.stepMs);
                for (const item of finished) this._finish(item);
                await nextMacrotask();
                if (!this._disposed) this._admitWaiting(eventId);
            } catch (err) {
                this._rejectAll(err);
            } finally {
                this._pendingEvents--;
                this._steps.airlabelStepsAck!(eventId);
            }
        });
    }

    private _admitWaiting(forEvent = 0): void {
        // lowest sequence ids first (pop takes from the end)
        this._free.sort((a, b) => b.id - a.id);
        while (this._free.length > 0 && this._waiting.length > 0) {
            const waiting = this._waiting.shift()!;
            const slot = this._free.pop()!;
            try {
                this._start(waiting, slot, forEvent);
            } catch (err) {
                this._forget(slot);
                this._free.push(slot);
                waiting.reject(err);
            }
        }
    }

    private _start(waiting: Waiting, slot: Slot, forEvent: number): void {
        const {request} = waiting;
        const prompt = request.tokens;
        if (prompt.length === 0) throw new Error("a prompt needs at least one token");
        // keep the prefix this sequence already holds (shared system message and template), evaluate the rest; the
        // last prompt token is always evaluated, for its logits
        let keep = 0;
        const limit = Math.min(slot.held.length, prompt.length - 1);
        while (keep < limit && slot.held[keep] === prompt[keep]) keep++;
        // with the overlap patch the loop trims the sequence itself, on its own thread, when it adds the generation
        const trimFrom = slot.unknown ? 0 : keep < slot.held.length ? keep : -1;
        if (!this._overlapped && trimFrom >= 0) this._steps.removeTokenCellsFromSequence(slot.id, trimFrom, -1);
        slot.held.length = keep;
        slot.unknown = false;
        const made = createAddonSampler(this._model, slot.sequence, request);
        if (made === undefined) throw new Error("node-llama-cpp's sampler internals differ from what airlabel's native decode loop expects");
        const toEvaluate = prompt.slice(keep);
        try {
            this._steps.airlabelStepsAdd(
                slot.id,
                Uint32Array.from(toEvaluate),
                keep,
                made.sampler,
                request.maxTokens,
                request.ignoreEos,
                request.stopStrings,
                request.timeLimitMs ?? 0,
                request.logprobs === true,
                ...(this._overlapped ? [trimFrom, forEvent] : [])
            );
        } catch (err) {
            made.sampler.dispose();
            throw err;
        }
        this._active.set(slot.id, {
            request,
            slot,
            sampler: made.sampler,
            grammarState: made.grammarState,
            evaluatedPromptTokens: toEvaluate.length,
            startedAt: performance.now(),
            resolve: waiting.resolve,
            reject: waiting.reject
        });
    }

    /** A generation the native loop finished: the sequence holds its prompt and decoded tokens, the row resolves. */
    private _finish(finished: NativeStepsResult["finished"][number]): void {
        const active = this._active.get(finished.sequenceId);
        if (active === undefined) return;
        this._active.delete(finished.sequenceId);
        active.sampler.dispose();
        const {slot, request} = active;
        this._free.push(slot);
        if (finished.finish === "error") {
            this._forget(slot);
            active.reject(new Error(finished.error ?? "the generation failed"));
            return;
        }
        const tokens = Array.from(finished.tokens) as Token[];
        slot.held = [...request.tokens, ...tokens].slice(0, finished.position);
        const text = textBeforeStop(this._model.detokenize(tokens, false), request.stopStrings);
        active.resolve({
            text,
            generatedTokens: tokens.length,
            finishReason: finished.finish,
            firstTokenMs: Math.max(0, finished.firstTokenMs),
            generationMs: performance.now() - active.startedAt,
            evaluatedPromptTokens: active.evaluatedPromptTokens,
            ...(finished.logprobs !== undefined ? {tokenLogprobs: tokenLogprobsOf(this._model, tokens, finished.logprobs)} : {})
        });
    }

    /** The sequence's cells are in an unknown state (a failed decode): empty them (with the overlap patch, the loop does when the sequence's next row starts). */
    private _forget(slot: Slot): void {
        if (this._overlapped) slot.unknown = true;
        else this._steps.removeTokenCellsFromSequence(slot.id, 0, -1);
        slot.held = [];
    }

    /** The profile: the run in flight's steps so far (its result, or an event's counts) over those before it, with `ms` of step time. */
    private _recordRun(counts: Pick<NativeStepsCounts, "steps" | "sequenceSteps">, ms: number): void {
        this._profile = {
            steps: this._runBase.steps + counts.steps,
            sequenceSteps: this._runBase.sequenceSteps + counts.sequenceSteps,
            stepMs: this._runBase.stepMs + ms
        };
        this._profileSlot?.write(stepProfileWithNativeStats(this._profile, this._context));
    }
}

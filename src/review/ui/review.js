// airlabel review: one task at a time, a form made from the answer's JSON Schema, keyboard shortcuts for everything.
// Plain browser JavaScript (no build step); the server's Content-Security-Policy allows only files from /static/.

const $ = (id) => document.getElementById(id);
const state = {token: "", annotator: "", info: null, task: null, form: null, ratings: {}, better: null, pending: ""};

function tokenFromPage() {
    const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
    if (fromHash) sessionStorage.setItem("airlabel-token", fromHash);
    return fromHash ?? sessionStorage.getItem("airlabel-token") ?? "";
}

async function api(method, path, body) {
    const response = await fetch(path, {
        method,
        headers: {"X-Airlabel-Token": state.token, ...(body !== undefined ? {"Content-Type": "application/json"} : {})},
        body: body !== undefined ? JSON.stringify(body) : undefined
    });
    const data = await response.json();
    if (!response.ok) throw new Error(data.error ?? `HTTP ${response.status}`);
    return data;
}

function element(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
        if (name === "text") node.textContent = value;
        else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
        else node.setAttribute(name, value);
    }
    for (const child of children) node.append(child);
    return node;
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** A field of the form for `schema`, starting at `value`: {node, get()} (get() returns the edited value). */
function fieldFor(schema, value, name) {
    schema = schema === true || schema == null ? {} : schema;
    const choices = Array.isArray(schema.enum) ? schema.enum : schema.const !== undefined ? [schema.const] : schema.type === "boolean" ? [true, false] : null;
    if (choices !== null) {
        let chosen = value;
        const buttons = choices.map((choice, i) => {
            const button = element("button", {type: "button", "data-testid": `choice-${name}-${String(choice)}`, text: `${i + 1}. ${String(choice)}`});
            button.classList.toggle("on", same(choice, value));
            button.addEventListener("click", () => {
                chosen = choice;
                for (const other of buttons) other.classList.toggle("on", other === button);
            });
            return button;
        });
        return {node: element("div", {class: "choices"}, ...buttons), get: () => chosen, buttons};
    }
    if (schema.type === "object" || schema.properties !== undefined) {
        const parts = Object.entries(schema.properties ?? {}).map(([key, sub]) => [key, fieldFor(sub, value?.[key], key)]);
        const node = element("fieldset", {}, ...parts.map(([key, part]) => element("label", {}, element("span", {text: key}), part.node)));
        const get = () => {
            const result = {...(value ?? {})};
            for (const [key, part] of parts) {
                const got = part.get();
                if (got === undefined) delete result[key];
                else result[key] = got;
            }
            return result;
        };
        return {node, get, choices: parts.map(([, part]) => part).find((part) => part.buttons !== undefined)};
    }
    if (schema.type === "integer" || schema.type === "number") {
        const input = element("input", {type: "number", "data-testid": `number-${name}`, step: schema.type === "integer" ? "1" : "any"});
        if (schema.minimum !== undefined) input.min = schema.minimum;
        if (schema.maximum !== undefined) input.max = schema.maximum;
        input.value = value ?? "";
        return {node: input, get: () => (input.value === "" ? undefined : Number(input.value))};
    }
    if (schema.type === "string") {
        const long = schema.maxLength === undefined || schema.maxLength > 120;
        const input = long ? element("textarea", {rows: "3", "data-testid": `text-${name}`}) : element("input", {type: "text", "data-testid": `text-${name}`});
        input.value = value ?? "";
        return {node: input, get: () => input.value};
    }
    // arrays, unions and the rest: the value as JSON text
    const area = element("textarea", {rows: "4", "data-testid": `json-${name}`});
    area.value = value === undefined ? "" : JSON.stringify(value, null, 2);
    return {
        node: area,
        get: () => {
            try {
                return area.value.trim() === "" ? undefined : JSON.parse(area.value);
            } catch {
                return area.value;
            }
        }
    };
}

function showTask(task) {
    state.task = task;
    state.ratings = {};
    state.better = null;
    $("task").hidden = task === null;
    if (task === null) {
        $("message").textContent = "Nothing left for you to review. Thank you!";
        return;
    }
    $("message").textContent = "";
    $("idx").textContent = `row idx ${task.idx}`;
    const confidence = task.confidence !== undefined ? `confidence ${task.confidence.toFixed(2)}` : "";
    $("priority").textContent = [task.priority === "in order" ? "" : task.priority, confidence].filter((part) => part !== "").map((part) => `(${part})`).join(" ");
    $("input").replaceChildren(element("dl", {}, ...Object.entries(task.columns).flatMap(([key, value]) => [element("dt", {text: key}), element("dd", {text: typeof value === "string" ? value : JSON.stringify(value)})])));
    const models = state.info.models;
    $("answers").replaceChildren(
        ...models.map((model, i) => {
            const response = task.responses[model.id];
            const rating = element(
                "div",
                {class: "rating"},
                element("span", {text: "rating "}),
                ...[1, 2, 3, 4, 5].map((stars) =>
                    element("button", {type: "button", "data-testid": `rate-${model.id}-${stars}`, text: String(stars), onclick: () => rate(model.id, stars)})
                )
            );
            const card = element(
                "div",
                {"data-testid": `answer-${model.id}`, "data-model": model.id},
                element("h3", {text: `${i + 1}. ${model.id}${typeof response?.confidence === "number" ? ` (confidence ${response.confidence.toFixed(2)})` : ""}`}),
                response === undefined ? element("p", {text: "no answer"}) : response.ok ? element("pre", {text: JSON.stringify(response.annotation, null, 2)}) : element("p", {class: "failed", text: `failed: ${response.reason}`}),
                rating
            );
            if (models.length > 1) card.append(element("button", {type: "button", "data-testid": `better-${model.id}`, text: "better", onclick: () => choose(model.id)}));
            return card;
        })
    );
    const schema = state.info.schema;
    state.form = schema === null ? fieldFor({type: "string"}, task.prefill.value ?? "", "answer") : fieldFor(schema, task.prefill.value ?? undefined, "answer");
    $("form").replaceChildren(state.form.node);
    $("comment").value = "";
}

function rate(model, stars) {
    state.ratings[model] = stars;
    for (const button of document.querySelectorAll(`[data-testid^="rate-${model}-"]`)) button.classList.toggle("on", button.dataset.testid === `rate-${model}-${stars}`);
}

function choose(model) {
    state.better = model;
    for (const card of document.querySelectorAll("#answers > div")) card.classList.toggle("better", card.dataset.model === model);
}

async function submit(action) {
    const task = state.task;
    if (task === null) return;
    const value = state.form.get();
    // accept keeps the model's answer; a changed form makes it a correction
    const chosen = action === "accept" && !same(value, task.prefill.value) ? "correct" : action;
    const review = {
        annotator: state.annotator,
        idx: task.idx,
        action: chosen,
        value: chosen === "accept" ? task.prefill.value : chosen === "correct" ? value : null,
        model: task.prefill.model,
        ratings: state.ratings,
        better: state.better,
        comment: $("comment").value
    };
    try {
        const {progress} = await api("POST", "/api/review", review);
        showProgress(progress);
        await next();
    } catch (error) {
        $("message").textContent = `Not saved: ${error.message}`;
    }
}

function showProgress(progress) {
    $("progress").textContent = `${progress.reviewsDone} of ${progress.reviewsNeeded} reviews done (you: ${progress.byAnnotator[state.annotator] ?? 0})`;
}

async function next() {
    const {task, progress} = await api("GET", `/api/next?annotator=${encodeURIComponent(state.annotator)}`);
    showProgress(progress);
    showTask(task);
}

function onKey(event) {
    if (state.task === null || $("task").hidden) return;
    const typing = ["INPUT", "TEXTAREA"].includes(document.activeElement?.tagName);
    if (typing && event.key !== "Escape" && !(event.key === "Enter" && event.ctrlKey)) return;
    if (event.key === "Escape") return document.activeElement.blur();
    const key = event.key;
    const pending = state.pending;
    state.pending = "";
    if (pending === "b" && /^[1-9]$/u.test(key)) return choose(state.info.models[Number(key) - 1]?.id ?? null);
    if (pending === "t" && /^[1-9]$/u.test(key)) return void (state.pending = `t${key}`);
    if (pending.startsWith("t") && /^[1-5]$/u.test(key)) {
        const model = state.info.models[Number(pending.slice(1)) - 1];
        if (model !== undefined) rate(model.id, Number(key));
        return;
    }
    if (key === "b" || key === "t") return void (state.pending = key);
    if (/^[1-9]$/u.test(key)) {
        const choices = state.form.buttons ?? state.form.choices?.buttons;
        choices?.[Number(key) - 1]?.click();
        return;
    }
    const actions = {a: "accept", Enter: "accept", c: "correct", r: "reject", s: "skip"};
    if (actions[key] !== undefined) {
        event.preventDefault();
        return void submit(actions[key]);
    }
    if (key === "/") {
        event.preventDefault();
        $("comment").focus();
    }
}

async function start(annotator) {
    state.annotator = annotator;
    localStorage.setItem("airlabel-annotator", annotator);
    $("login").hidden = true;
    $("who").textContent = `annotator: ${annotator}`;
    await next();
}

async function main() {
    state.token = tokenFromPage();
    try {
        state.info = await api("GET", "/api/info");
    } catch (error) {
        $("message").textContent = `${error.message}`;
        return;
    }
    $("run").textContent = `${state.info.dir} · ${state.info.rows} rows · ${state.info.models.map((model) => model.id).join(", ")}`;
    for (const action of ["accept", "correct", "reject", "skip"]) $(action).addEventListener("click", () => submit(action));
    document.addEventListener("keydown", onKey);
    $("login").addEventListener("submit", (event) => {
        event.preventDefault();
        void start($("annotator").value.trim());
    });
    const known = new URLSearchParams(location.hash.slice(1)).get("annotator") ?? localStorage.getItem("airlabel-annotator");
    $("annotator").value = known ?? "";
    $("login").hidden = false;
}

void main();

// Backend sampling against host sampling, llama.cpp alone (no node, no airlabel): one context with N sequences,
// a 32-token prompt each, then 64 greedy decode steps, the next token taken either on the host (argmax over the
// logits row, as airlabel's sampling patch does) or by a greedy sampler attached to each sequence in the graph
// (llama.cpp's experimental backend sampling: llama_context_params.samplers, llama_get_sampled_token_ith), where no
// logits row is copied out of the graph. Prints the decode and host-sampling time per step.
//
// Build against the addon's llama.cpp build (after npm run build:native -- --gpu cpu|cuda):
//   B=node_modules/node-llama-cpp/llama/localBuilds/linux-x64/bin; L=node_modules/node-llama-cpp/llama/llama.cpp
//   g++ -O2 -std=c++17 bench/native/backend-sampling.cpp -I$L/include -I$L/ggml/include \
//       $B/libllama.v0.5.0.so $B/libggml.v0.5.0.so $B/libggml-base.so -Wl,-rpath,$B -o /tmp/backend-sampling
//   OMP_WAIT_POLICY=PASSIVE /tmp/backend-sampling MODEL.gguf SEQUENCES 0|1 [GPU_LAYERS]   (0: host argmax, 1: backend greedy; 2 CPU threads)
#include "llama.h"
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>
#include <algorithm>
static double now() { return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
int main(int argc, char** argv) {
    const char* path = argv[1]; int nseq = atoi(argv[2]); bool backend = atoi(argv[3]) != 0; int steps = 64; int nprompt = 32;
    llama_backend_init();
    auto mp = llama_model_default_params();
    mp.n_gpu_layers = argc > 4 ? atoi(argv[4]) : 0;
    llama_model* model = llama_model_load_from_file(path, mp);
    const llama_vocab* vocab = llama_model_get_vocab(model);
    int nv = llama_vocab_n_tokens(vocab);
    auto cp = llama_context_default_params();
    cp.n_ctx = (nprompt + steps) * nseq + 256; cp.n_batch = 4096; cp.n_ubatch = 4096; cp.n_seq_max = nseq; cp.n_threads = 2; cp.n_threads_batch = 2;
    std::vector<llama_sampler_seq_config> cfg;
    if (backend) for (int s = 0; s < nseq; s++) { auto* ch = llama_sampler_chain_init(llama_sampler_chain_default_params()); llama_sampler_chain_add(ch, llama_sampler_init_greedy()); cfg.push_back({s, ch}); }
    if (backend) { cp.samplers = cfg.data(); cp.n_samplers = cfg.size(); }
    llama_context* ctx = llama_init_from_model(model, cp);
    llama_batch batch = llama_batch_init(std::max(nseq * nprompt, 4096), 0, 1);
    // prompts
    batch.n_tokens = 0;
    for (int s = 0; s < nseq; s++) for (int p = 0; p < nprompt; p++) { int i = batch.n_tokens++; batch.token[i] = (s * 31 + p * 7) % 1000 + 100; batch.pos[i] = p; batch.n_seq_id[i] = 1; batch.seq_id[i][0] = s; batch.logits[i] = p == nprompt - 1; }
    if (llama_decode(ctx, batch)) { printf("decode failed\n"); return 1; }
    std::vector<int> last(nseq);
    auto pick = [&](int i) -> int { if (backend) return llama_get_sampled_token_ith(ctx, i); const float* l = llama_get_logits_ith(ctx, i); int b = 0; for (int t = 1; t < nv; t++) if (l[t] > l[b]) b = t; return b; };
    for (int s = 0; s < nseq; s++) last[s] = pick((s + 1) * nprompt - 1);
    double tdec = 0, tsamp = 0;
    for (int step = 0; step < steps; step++) {
        batch.n_tokens = 0;
        for (int s = 0; s < nseq; s++) { int i = batch.n_tokens++; batch.token[i] = last[s]; batch.pos[i] = nprompt + step; batch.n_seq_id[i] = 1; batch.seq_id[i][0] = s; batch.logits[i] = 1; }
        double t0 = now(); if (llama_decode(ctx, batch)) { printf("decode failed\n"); return 1; } llama_synchronize(ctx); double t1 = now();
        for (int s = 0; s < nseq; s++) last[s] = pick(s);
        double t2 = now(); tdec += t1 - t0; tsamp += t2 - t1;
    }
    printf("nseq %d backend %d: decode %.2f ms/step, sample %.3f ms/step, first tokens %d %d\n", nseq, backend, tdec / steps, tsamp / steps, last[0], last[1]);
    return 0;
}

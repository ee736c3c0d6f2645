/* state.c - see state.h. The checkpoint's chunks:
 *   settings    the settings text (train/config.h)
 *   loop        int32 [4]: iteration, SH degree, densifications done, cameras left in the stack
 *   adam_steps  int64 [TGS_G_COUNT]: Adam steps per group
 *   loop_f64    f64 [5]: loss EMA, seconds so far, background RGB
 *   rng         u64 [2]: the run's RNG (state, stream)
 *   stack       int32 [n_train]: the camera stack
 *   count, capacity   u64: Gaussians held and allocated
 *   groups      the parameter groups in buffer order (tgs/params.h), space-separated
 *   params, grads, adam_m, adam_v   f32 [capacity, floats_per_gaussian]
 *   grad_accum, denom, max_radii    f32 [count]: densification statistics */
#include "train/state.h"

#include "tgs/checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N_LOOP = 4, N_LOOP_F64 = 5, N_MODEL = 4, N_STATS = 3 };
static const char *const k_model_chunks[N_MODEL] = {"params", "grads", "adam_m", "adam_v"};
static const char *const k_stats_chunks[N_STATS] = {"grad_accum", "denom", "max_radii"};

/* The "groups" chunk: the buffers' group order, so that a file written in another order is refused. */
static void group_order(char *out, size_t size) {
    size_t at = 0;
    out[0] = 0;
    for (int k = 0; k < TGS_G_COUNT && at < size; k++)
        at += (size_t)snprintf(out + at, size - at, "%s%s", k ? " " : "", tgs_param_group_name(k));
}

tgs_status tgs_run_state_create(int n_train, tgs_run_state *out) {
    memset(out, 0, sizeof *out);
    out->stack = tgs_calloc((size_t)n_train, sizeof(int), "camera stack");
    return out->stack ? TGS_OK : TGS_ERR_NOMEM;
}

void tgs_run_state_destroy(tgs_run_state *s) {
    if (!s)
        return;
    free(s->stack);
    s->stack = NULL;
}

tgs_status tgs_run_state_save(const char *path, const char *settings, const tgs_run_state *s, int n_train,
                              const tgs_gaussians *g, const tgs_densify_stats *st) {
    int32_t ints[N_LOOP] = {s->it, s->sh_active, s->densify_step, s->stack_n};
    int64_t steps[TGS_G_COUNT];
    for (int k = 0; k < TGS_G_COUNT; k++)
        steps[k] = s->adam.step[k];
    double dbl[N_LOOP_F64] = {s->ema, s->elapsed, s->bg[0], s->bg[1], s->bg[2]};
    uint64_t rng[2] = {s->rng.state, s->rng.inc};
    const float *model[N_MODEL] = {g->params, g->grads, g->adam_m, g->adam_v};
    const float *stats[N_STATS] = {st->grad_accum, st->denom, st->max_radii};
    size_t bytes = g->capacity * (size_t)g->floats_per_gaussian * sizeof(float);
    tgs_ckpt_writer *w;
    TGS_TRY(tgs_ckpt_begin(path, &w));
    tgs_ckpt_put_str(w, "settings", settings);
    tgs_ckpt_put(w, "loop", ints, sizeof ints);
    tgs_ckpt_put(w, "adam_steps", steps, sizeof steps);
    tgs_ckpt_put(w, "loop_f64", dbl, sizeof dbl);
    tgs_ckpt_put(w, "rng", rng, sizeof rng);
    tgs_ckpt_put(w, "stack", s->stack, (size_t)n_train * sizeof(int));
    tgs_ckpt_put_u64(w, "count", g->n);
    tgs_ckpt_put_u64(w, "capacity", g->capacity);
    char groups[128];
    group_order(groups, sizeof groups);
    tgs_ckpt_put_str(w, "groups", groups);
    for (int k = 0; k < N_MODEL; k++)
        tgs_ckpt_put(w, k_model_chunks[k], model[k], bytes);
    for (int k = 0; k < N_STATS; k++)
        tgs_ckpt_put(w, k_stats_chunks[k], stats[k], g->n * sizeof(float));
    return tgs_ckpt_commit(w); /* reports the first failed put */
}

/* TGS_ERR_ARG naming the first setting (space-separated name=value) that differs. */
static tgs_status check_settings(const char *path, const char *saved, const char *now) {
    if (strcmp(saved, now) == 0)
        return TGS_OK;
    const char *a = saved, *b = now;
    while (*a && *a == *b)
        a++, b++;
    while (a > saved && a[-1] != ' ')
        a--, b--;
    return TGS_FAIL(TGS_ERR_ARG, "%s: written under other settings: '%.*s' there, '%.*s' now (resume with the "
                    "command, backend and --threads of the run)", path, (int)strcspn(a, " "), a,
                    (int)strcspn(b, " "), b);
}

/* The loop chunks into s (its stack included), checked against the scene. */
static tgs_status read_loop(const tgs_ckpt_reader *r, const char *path, int n_train, int n_cameras,
                            tgs_run_state *s, uint64_t *count, uint64_t *capacity) {
    int32_t ints[N_LOOP];
    int64_t steps[TGS_G_COUNT];
    double dbl[N_LOOP_F64];
    uint64_t rng[2];
    TGS_TRY(tgs_ckpt_get_exact(r, "loop", ints, sizeof ints));
    TGS_TRY(tgs_ckpt_get_exact(r, "adam_steps", steps, sizeof steps));
    TGS_TRY(tgs_ckpt_get_exact(r, "loop_f64", dbl, sizeof dbl));
    TGS_TRY(tgs_ckpt_get_exact(r, "rng", rng, sizeof rng));
    TGS_TRY(tgs_ckpt_get_exact(r, "stack", s->stack, (size_t)n_train * sizeof(int)));
    TGS_TRY(tgs_ckpt_get_u64(r, "count", count));
    TGS_TRY(tgs_ckpt_get_u64(r, "capacity", capacity));
    if (*count > *capacity || *capacity > ((uint64_t)1 << 31) || ints[0] < 0 || ints[3] < 0 || ints[3] > n_train ||
        ints[1] < 0 || ints[1] > 3)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: inconsistent loop state (iteration %d, %llu of %llu Gaussians)", path,
                        ints[0], (unsigned long long)*count, (unsigned long long)*capacity);
    for (int k = 0; k < ints[3]; k++)
        if (s->stack[k] < 0 || s->stack[k] >= n_cameras)
            return TGS_FAIL(TGS_ERR_FORMAT, "%s: camera stack holds camera %d of %d", path, s->stack[k], n_cameras);
    s->it = ints[0], s->sh_active = ints[1], s->densify_step = ints[2], s->stack_n = ints[3];
    for (int k = 0; k < TGS_G_COUNT; k++)
        s->adam.step[k] = (long)steps[k];
    s->ema = dbl[0], s->elapsed = dbl[1];
    s->bg[0] = (float)dbl[2], s->bg[1] = (float)dbl[3], s->bg[2] = (float)dbl[4];
    s->rng.state = rng[0], s->rng.inc = rng[1];
    return TGS_OK;
}

/* The model and its statistics into a new model *g and st. */
static tgs_status read_model(const tgs_ckpt_reader *r, const char *path, uint64_t count, uint64_t capacity,
                             int sh_degree, tgs_gaussians **g, tgs_densify_stats *st) {
    const char *saved;
    char groups[128];
    group_order(groups, sizeof groups);
    TGS_TRY(tgs_ckpt_get_str(r, "groups", &saved));
    if (strcmp(saved, groups) != 0)
        return TGS_FAIL(TGS_ERR_FORMAT, "%s: parameter groups in the order '%s' (this tgs: '%s'; resume with the tgs "
                        "that wrote it)", path, saved, groups);
    TGS_TRY(tgs_gaussians_create((size_t)capacity, sh_degree, 1, g));
    TGS_TRY(tgs_densify_stats_reserve(st, (size_t)capacity));
    tgs_gaussians *m = *g;
    m->n = (size_t)count;
    float *model[N_MODEL] = {m->params, m->grads, m->adam_m, m->adam_v};
    float *stats[N_STATS] = {st->grad_accum, st->denom, st->max_radii};
    size_t bytes = (size_t)capacity * (size_t)m->floats_per_gaussian * sizeof(float);
    for (int k = 0; k < N_MODEL; k++)
        TGS_TRY(tgs_ckpt_get_exact(r, k_model_chunks[k], model[k], bytes));
    for (int k = 0; k < N_STATS; k++)
        TGS_TRY(tgs_ckpt_get_exact(r, k_stats_chunks[k], stats[k], m->n * sizeof(float)));
    return TGS_OK;
}

tgs_status tgs_run_state_load(const char *path, const char *settings, int n_train, int n_cameras, int sh_degree,
                              tgs_run_state *s, tgs_gaussians **g, tgs_densify_stats *st) {
    tgs_ckpt_reader *r;
    *g = NULL;
    memset(st, 0, sizeof *st);
    TGS_TRY(tgs_ckpt_open(path, &r));
    const char *saved;
    tgs_run_state got = *s;
    uint64_t count, capacity;
    tgs_status e = tgs_ckpt_get_str(r, "settings", &saved);
    if (e == TGS_OK)
        e = check_settings(path, saved, settings);
    if (e == TGS_OK)
        e = read_loop(r, path, n_train, n_cameras, &got, &count, &capacity);
    if (e == TGS_OK)
        e = read_model(r, path, count, capacity, sh_degree, g, st);
    tgs_ckpt_close(r);
    if (e != TGS_OK) {
        tgs_gaussians_destroy(*g);
        *g = NULL;
        tgs_densify_stats_free(st);
        return e;
    }
    *s = got;
    return TGS_OK;
}

tgs_status tgs_run_state_summary(const char *path, tgs_run_summary *out) {
    memset(out, 0, sizeof *out);
    tgs_ckpt_reader *r;
    TGS_TRY(tgs_ckpt_open(path, &r));
    const void *loop;
    size_t loop_bytes;
    const char *settings;
    tgs_status e = tgs_ckpt_get_u64(r, "count", &out->count);
    if (e == TGS_OK)
        e = tgs_ckpt_get(r, "loop", &loop, &loop_bytes);
    /* the iteration leads the loop chunk (earlier files held one more int after it) */
    if (e == TGS_OK && loop_bytes < sizeof(int32_t))
        e = TGS_FAIL(TGS_ERR_FORMAT, "%s: chunk 'loop' has %zu bytes (expected %zu)", path, loop_bytes,
                     N_LOOP * sizeof(int32_t));
    if (e == TGS_OK)
        e = tgs_ckpt_get_str(r, "settings", &settings);
    if (e == TGS_OK) {
        int32_t it;
        memcpy(&it, loop, sizeof it);
        out->iteration = it;
        out->chunks = tgs_ckpt_count(r);
        snprintf(out->settings, sizeof out->settings, "%s", settings);
    }
    tgs_ckpt_close(r);
    return e;
}

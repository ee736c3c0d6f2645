/* state.h - what a run carries from one iteration to the next, and its
 * checkpoint: the chunks it writes into a tgs/checkpoint.h container, read
 * back with their checks, and the summary `tgs info --checkpoint` prints. */
#ifndef TGS_TRAIN_STATE_H
#define TGS_TRAIN_STATE_H

#include "tgs/densify.h"
#include "tgs/gaussians.h"
#include "tgs/optim.h"
#include "tgs/rng.h"
#include "train/config.h"

/* The loop's state besides the model (all of it goes into a checkpoint). */
typedef struct {
    int it;           /* last completed iteration */
    int sh_active;    /* SH degree in use */
    int densify_step; /* densifications done */
    int stack_n;
    int *stack;       /* [n_train] cameras not yet drawn in this round */
    double ema;       /* running loss shown in the progress line */
    double elapsed;   /* seconds of training so far */
    tgs_adam adam;
    tgs_rng rng;
    float bg[3];      /* background colour */
} tgs_run_state;

/* A zeroed state with room for n_train cameras in its stack. */
tgs_status tgs_run_state_create(int n_train, tgs_run_state *out);
void tgs_run_state_destroy(tgs_run_state *s); /* NULL-safe; frees the stack */

/* Writes a checkpoint at path (through path.tmp): the settings text, the
 * state (stack of n_train), the model g with gradients and Adam moments, and
 * the densification statistics st of its g->n rows. */
tgs_status tgs_run_state_save(const char *path, const char *settings, const tgs_run_state *s, int n_train,
                              const tgs_gaussians *g, const tgs_densify_stats *st);
/* Reads a checkpoint written under the same settings text (TGS_ERR_ARG naming
 * the first setting that differs otherwise) for a scene of n_train training
 * views out of n_cameras, checks its state, and fills s (its stack created by
 * tgs_run_state_create), *g (created here with degree sh_degree; the caller
 * destroys it) and st (reserved here; the caller frees it). On failure s is
 * unchanged but its stack, and nothing is left to free. */
tgs_status tgs_run_state_load(const char *path, const char *settings, int n_train, int n_cameras, int sh_degree,
                              tgs_run_state *s, tgs_gaussians **g, tgs_densify_stats *st);

/* What a checkpoint holds, read without a scene (the file's checks all run). */
typedef struct {
    int iteration;
    uint64_t count;  /* Gaussians */
    size_t chunks;
    char settings[TGS_SETTINGS_MAX];
} tgs_run_summary;

tgs_status tgs_run_state_summary(const char *path, tgs_run_summary *out);

#endif

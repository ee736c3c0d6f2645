/* progress.h - training progress a person can read: one updating line on a
 * terminal, a plain line every 5% otherwise, nothing with --quiet. */
#ifndef TGS_TRAIN_PROGRESS_H
#define TGS_TRAIN_PROGRESS_H

#include <stddef.h>

typedef struct {
    int total, quiet, tty, last_pct, line_open;
    double t0, last_print;
} tgs_progress;

void tgs_progress_start(tgs_progress *p, int total, int quiet);
void tgs_progress_update(tgs_progress *p, int it, double loss_ema, size_t count);
/* A message on its own line (printed even with --quiet? no: quiet drops it). */
void tgs_progress_note(tgs_progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tgs_progress_finish(tgs_progress *p);

#endif

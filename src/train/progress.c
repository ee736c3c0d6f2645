/* progress.c - see progress.h. */
#include "train/progress.h"

#include "tgs/common.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

void tgs_progress_start(tgs_progress *p, int total, int quiet) {
    p->total = total;
    p->quiet = quiet;
    p->tty = isatty(fileno(stdout));
    p->last_pct = 0;
    p->line_open = 0;
    p->t0 = p->last_print = tgs_now();
}

static void fmt_time(double s, char *buf, size_t n) {
    int t = (int)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, n, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, n, "%d:%02d", t / 60, t % 60);
}

void tgs_progress_update(tgs_progress *p, int it, double loss_ema, size_t count) {
    if (p->quiet)
        return;
    double now = tgs_now();
    int pct = (int)(100.0 * it / p->total);
    int due = p->tty ? (now - p->last_print >= 0.2 || it == p->total) : (pct / 5 > p->last_pct / 5 || it == p->total);
    if (!due)
        return;
    double el = now - p->t0, rate = it / (el > 0 ? el : 1e-9);
    char e[16], eta[16];
    fmt_time(el, e, sizeof e);
    fmt_time((p->total - it) / (rate > 0 ? rate : 1e-9), eta, sizeof eta);
    if (p->tty) {
        printf("\r\033[Ktraining %3d%% %d/%d  loss %.5f  %zu Gaussians  %.1f it/s  %s elapsed  ETA %s", pct, it,
               p->total, loss_ema, count, rate, e, eta);
        p->line_open = 1;
    } else {
        printf("training %3d%% %d/%d  loss %.5f  %zu Gaussians  %.1f it/s  %s elapsed  ETA %s\n", pct, it, p->total,
               loss_ema, count, rate, e, eta);
    }
    fflush(stdout);
    p->last_print = now;
    p->last_pct = pct;
}

void tgs_progress_note(tgs_progress *p, const char *fmt, ...) {
    if (p->quiet)
        return;
    if (p->line_open) {
        printf("\r\033[K");
        p->line_open = 0;
    }
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

void tgs_progress_finish(tgs_progress *p) {
    if (p->line_open)
        putchar('\n');
    p->line_open = 0;
    fflush(stdout);
}

/* classic.c - original 3DGS densify-and-prune (DESIGN §6, --densify_mode classic).
 *
 * Splits are done in place (child 0 takes its parent's row, child 1 is
 * appended), which needs one extra row per split instead of two; the set of
 * Gaussians is the reference's (clones and children appended, parents
 * removed), only the row order differs. */
#include "densify_internal.h"

#include <stdlib.h>

tgs_status tgs_densify_check_args(const tgs_gaussians *g, const tgs_densify_stats *s, const char *what) {
    if (!g || !s)
        return TGS_FAIL(TGS_ERR_ARG, "%s: model or statistics missing (expected both)", what);
    if (!s->grad_accum || s->capacity < g->n)
        return TGS_FAIL(TGS_ERR_ARG, "%s: statistics cover %zu Gaussians (expected at least %zu)", what, s->capacity,
                        g->n);
    if (g->n > UINT32_MAX)
        return TGS_FAIL(TGS_ERR_ARG, "%s: %zu Gaussians (expected at most %u)", what, g->n, (unsigned)UINT32_MAX);
    return TGS_OK;
}

tgs_status tgs_densify_classic(tgs_gaussians *g, tgs_densify_stats *s, const tgs_densify_params *p, tgs_rng *rng,
                               tgs_densify_report *rep) {
    TGS_TRY(tgs_densify_check_args(g, s, "classic densification"));
    tgs_status st = TGS_OK;
    size_t n = g->n, nc = 0, ns = 0;
    unsigned char *kind = tgs_calloc(n, 1, "densification candidates");
    uint32_t *idx = kind ? tgs_calloc(n, sizeof(uint32_t), "densification indices") : NULL;
    unsigned char *mask = NULL;
    if (!idx) {
        st = TGS_ERR_NOMEM;
        goto cleanup;
    }
    tgs_densify_grad_candidates(g, s, p, kind, &nc, &ns);
    /* all memory first, so that nothing below can fail half-way */
    mask = tgs_calloc(n + nc + ns, 1, "prune mask");
    if (!mask) {
        st = TGS_ERR_NOMEM;
        goto cleanup;
    }
    if ((st = tgs_densify_grow(g, s, n + nc + ns)) != TGS_OK)
        goto cleanup;
    /* clones first (indices ascending), then splits of the original rows */
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (kind[i] == TGS_CAND_CLONE)
            idx[c++] = (uint32_t)i;
    if ((st = tgs_densify_clone(g, s, idx, c)) != TGS_OK)
        goto cleanup;
    c = 0;
    for (size_t i = 0; i < n; i++)
        if (kind[i] == TGS_CAND_SPLIT)
            idx[c++] = (uint32_t)i;
    if ((st = tgs_densify_split_inplace(g, s, idx, c, rng)) != TGS_OK)
        goto cleanup;
    size_t n_grown = g->n;
    size_t pruned = tgs_densify_prune_candidates(g, s, p, mask);
    tgs_densify_remove(g, s, mask);
    tgs_densify_stats_reset(s, n_grown);
    if (rep) {
        rep->cloned = nc;
        rep->split = ns;
        rep->pruned = pruned;
        rep->n_before = n;
        rep->n_after = g->n;
    }
cleanup:
    free(kind);
    free(idx);
    free(mask);
    return st;
}

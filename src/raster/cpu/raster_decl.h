/* raster_decl.h - types and prototypes of the CPU rasteriser, declared once per
 * precision. Included (without guard) by raster_cpu.h with REAL = float, SFX =
 * f32 and with REAL = double, SFX = f64. */
#define RN_CAT2(a, b) a##_##b
#define RN_CAT(a, b) RN_CAT2(a, b)
#define RN(name) RN_CAT(name, SFX)

/* Raw parameters (DESIGN §2), each pointer to n rows of its group. */
typedef struct {
    size_t n;
    int k_rest;  /* SH rest coefficients stored per Gaussian (row stride 3*k_rest) */
    const REAL *means, *sh_dc, *sh_rest, *opacity_raw, *scale_raw, *rot_raw;
} RN(tgs_rparams);

typedef struct {
    REAL *means, *sh_dc, *sh_rest, *opacity_raw, *scale_raw, *rot_raw;
} RN(tgs_rgrads);

/* Scratch of one rasteriser, sized by tgs_rctx_reserve. */
typedef struct {
    size_t capacity;
    int max_pixels, nthreads;
    /* per Gaussian, from preprocess */
    REAL *depth;        /* [N] */
    int *radius;        /* [N] */
    REAL *mean2d;       /* [N,2] pixels */
    REAL *conic;        /* [N,3] a b c of the inverse 2D covariance */
    REAL *opac;         /* [N] activated opacity */
    REAL *pmin;         /* [N] smallest power that can give alpha >= 1/255 (minus a margin) */
    REAL *rgb;          /* [N,3] */
    unsigned char *clamped; /* [N,3] colour clamped at 0 */
    int *rect;          /* [N,4] tile rect x0 y0 x1 y1 (exclusive) */
    float *depth_key;   /* [N] depth as float for the sort key */
    tgs_bins bins;      /* tile x Gaussian pairs sorted by (tile, depth) */
    /* per pixel */
    REAL *final_T;      /* [H*W] */
    uint32_t *n_contrib; /* [H*W] entries of its tile range processed */
    /* per thread accumulators (backward and scores) */
    REAL *thread_acc;   /* [threads, N, 9] */
    float *thread_score; /* [threads, N, 4] (allocated on first score render) */
    size_t score_capacity;
    int width, height;  /* of the last forward */
} RN(tgs_rctx);

tgs_status RN(tgs_rctx_reserve)(RN(tgs_rctx) *c, size_t capacity, int max_pixels);
/* Bytes tgs_rctx_reserve allocates per Gaussian of its capacity for `threads`
 * threads (with score: and the score accumulators of the first scored
 * render), and per pixel. The pairs are tgs_bins_bytes. */
size_t RN(tgs_rctx_gaussian_bytes)(int threads, int score);
size_t RN(tgs_rctx_pixel_bytes)(void);
void RN(tgs_rctx_free)(RN(tgs_rctx) *c);
tgs_status RN(tgs_raster_cpu_forward)(RN(tgs_rctx) *c, const RN(tgs_rparams) *p, const tgs_view *v,
                                      REAL *img /*[H,W,3]*/, const float *pixel_weight /*[H,W] or NULL*/,
                                      float *score /*[N,4] or NULL*/);
tgs_status RN(tgs_raster_cpu_backward)(RN(tgs_rctx) *c, const RN(tgs_rparams) *p, const tgs_view *v,
                                       const REAL *v_img /*[H,W,3]*/, const RN(tgs_rgrads) *grads,
                                       REAL *v_mean2d /*[N,2]*/);

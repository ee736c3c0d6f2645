/* view_params.h - the per-view constants of the rasteriser (DESIGN §3),
 * computed on the host from a tgs_view for both backends: the CPU's float and
 * double code (raster_impl.h) and the CUDA kernels (raster_cuda_internal.h,
 * float). Written once for any REAL: include it, without a guard, with REAL
 * and SFX defined, as raster_decl.h. */
#ifndef RN
#define RN_CAT2(a, b) a##_##b
#define RN_CAT(a, b) RN_CAT2(a, b)
#define RN(name) RN_CAT(name, SFX)
#endif

typedef struct {
    REAL Rv[9], tv[3], campos[3]; /* world->view rotation (row-major), translation; camera centre */
    REAL fx, fy, cx, cy;          /* focal and principal point, pixels */
    REAL limx, limy;              /* 1.3 tan(fov/2): the EWA clamp of x/z, y/z */
    int width, height, tiles_x, tiles_y;
} RN(tgs_vparams);

/* The constants of view v for tiles of `tile` pixels a side. */
static inline RN(tgs_vparams) RN(tgs_view_params)(const tgs_view *v, int tile) {
    RN(tgs_vparams) w;
    for (int i = 0; i < 9; i++)
        w.Rv[i] = (REAL)v->R[i];
    for (int i = 0; i < 3; i++) {
        w.tv[i] = (REAL)v->t[i];
        w.campos[i] = (REAL)v->campos[i];
    }
    w.fx = (REAL)v->fx;
    w.fy = (REAL)v->fy;
    w.cx = (REAL)0.5 * (REAL)(v->width - 1);
    w.cy = (REAL)0.5 * (REAL)(v->height - 1);
    w.limx = (REAL)1.3 * (REAL)v->tan_fovx;
    w.limy = (REAL)1.3 * (REAL)v->tan_fovy;
    w.width = v->width;
    w.height = v->height;
    w.tiles_x = (v->width + tile - 1) / tile;
    w.tiles_y = (v->height + tile - 1) / tile;
    return w;
}

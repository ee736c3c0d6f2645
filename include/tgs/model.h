/* model.h - the files of a model folder (DESIGN §7) other than the PLYs:
 * cameras.json, cfg_args, and the test metrics (results.json, per_view.json)
 * that `tgs metrics` computes from `tgs render`'s output. Every writer goes
 * through path.tmp and a rename, so a reader never sees half a file. */
#ifndef TGS_MODEL_H
#define TGS_MODEL_H

#include "tgs/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- JSON files ---------------------------------------------------------- */

struct json_t; /* jansson's json_t */
/* Writes the JSON value root to path atomically (tgs_atomic_open), encoded by
 * jansson's json_dumpf with `flags` (JSON_INDENT, JSON_ENSURE_ASCII...). */
tgs_status tgs_model_write_json(const char *path, const struct json_t *root, size_t flags);

/* ---- cameras.json ------------------------------------------------------- */

/* One camera as cameras.json records it (the scene module fills these from
 * its cameras: tgs_scene_write_cameras). */
typedef struct {
    char image_name[TGS_NAME_MAX]; /* file name without extension */
    int width, height;             /* the training resolution */
    double fx, fy;                 /* focal in pixels at width x height */
    double R[9];                   /* world->camera rotation, row-major */
    double center[3];              /* camera centre in world coordinates */
} tgs_camera_record;

/* Writes the reference 3DGS camera file: a JSON array with, per camera i,
 * {"id": i, "img_name", "width", "height", "position": camera centre,
 *  "rotation": camera-to-world 3x3 as rows, "fy", "fx"} (that key order),
 * the cameras in the order given (the reference lists the test cameras
 * first, then the training ones). */
tgs_status tgs_model_write_cameras_json(const char *path, const tgs_camera_record *cams /*[n]*/, int n);

/* ---- cfg_args ------------------------------------------------------------ */

/* The reference's ModelParams, as recorded in <model>/cfg_args. */
typedef struct {
    int sh_degree;                    /* 3 */
    char source_path[TGS_PATH_MAX];   /* "" (the reference records an absolute path) */
    char model_path[TGS_PATH_MAX];    /* "" */
    char images[TGS_PATH_MAX];        /* "images" */
    char depths[TGS_PATH_MAX];        /* "" */
    int resolution;                   /* -1 */
    int white_background;             /* 0 */
    int train_test_exp;               /* 0 */
    char data_device[64];             /* "cuda" */
    int eval;                         /* 0 */
} tgs_cfg_args;

/* Fills in the reference defaults (shown above). */
void tgs_cfg_args_defaults(tgs_cfg_args *a);

/* Writes str(Namespace(...)) exactly as Python prints it, keys in the
 * reference's order (sh_degree, source_path, model_path, images, depths,
 * resolution, white_background, train_test_exp, data_device, eval), strings as
 * Python's repr (single quotes unless the text holds ' and no "), True/False,
 * no trailing newline. */
tgs_status tgs_model_write_cfg_args(const char *path, const tgs_cfg_args *a);
/* Parses a Namespace(key=value, ...) file: the fields above are read (with type
 * checks), any other key is skipped whatever its Python literal (list, float,
 * None, nested brackets, strings in either quote style). Fields absent from
 * the file keep their defaults. */
tgs_status tgs_model_read_cfg_args(const char *path, tgs_cfg_args *out);
/* The same on text in memory; name is used in error messages. */
tgs_status tgs_model_parse_cfg_args(const char *text, size_t len, const char *name, tgs_cfg_args *out);

/* ---- metrics ------------------------------------------------------------- */

typedef struct {
    char method[TGS_NAME_MAX]; /* folder name under <model>/<split>, e.g. "ours_30000" */
    int n_views;
    double psnr, ssim;         /* means over the views */
    double psnr_channel_mean;  /* mean over the views of tgs_psnr_channel_mean */
} tgs_metrics_row;

typedef struct {
    int n_rows;
    tgs_metrics_row *rows;     /* [n_rows], methods in name order */
} tgs_metrics_table;

/* `tgs metrics -m MODEL`: for each MODEL/<split>/<method>/ (split "test", the
 * default when NULL, or "train"; only `method` when it is not NULL) compares
 * renders/X.png with gt/X.png for every PNG name X (the two folders must hold
 * the same names and each pair the same size), and writes
 * MODEL/results.json = {method: {"SSIM": mean, "PSNR": mean}} and
 * MODEL/per_view.json = {method: {"SSIM": {X: v...}, "PSNR": {X: v...}}}
 * (results_train.json and per_view_train.json for the training views).
 * Alpha is dropped and grey expanded to RGB, as the reference reads them.
 * With all methods the two files are replaced; with one method its entry is
 * replaced in the existing files (others kept). LPIPS is not computed.
 * masked: score only the pixels the view's masks/X.png keeps (nonzero; a view
 * without one counts every pixel; the folder must exist), written to
 * results_masked[_train].json and per_view_masked[_train].json. */
tgs_status tgs_metrics_compute(const char *model_dir, const char *split, const char *method, int masked,
                               tgs_metrics_table *out);
void tgs_metrics_table_free(tgs_metrics_table *t); /* NULL-safe */

#ifdef __cplusplus
}
#endif

#endif

/* viewer.h - the live viewer (DESIGN §13): an HTTP server (libmicrohttpd) that
 * serves a page, the run's status as JSON and frames as JPEG, rendered by
 * tgs's own rasteriser in the thread that owns the model.
 *
 * Threads: the server answers each connection in its own thread. A frame
 * request is posted to a one-slot mailbox and waits; the model's owner (the
 * training loop between iterations, or `tgs view`'s main thread) takes it with
 * tgs_viewer_poll / tgs_viewer_wait, renders it with its own backend, and hands
 * the float image back; the connection's thread encodes the JPEG. The
 * rasterisers are therefore only ever called by the thread that owns them.
 *
 * API (README "tgs view"): GET / (the page), GET /status[?cameras=0|1],
 * GET /render?cam=K[&w=W][&sh=D][&bg=B][&q=Q], GET /render?pos=X,Y,Z&rot=9
 * numbers[&fov=DEG][&w=W][&h=H][&sh=D][&bg=B][&q=Q]. Anything else: 404; a
 * method other than GET: 405; a bad parameter: 400 with a one-line message. */
#ifndef TGS_VIEWER_H
#define TGS_VIEWER_H

#include "tgs/common.h"
#include "tgs/raster.h"
#include "tgs/scene.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- requests (pure functions: no state, no allocation) ---------------- */

typedef enum {
    TGS_ROUTE_PAGE,       /* GET / */
    TGS_ROUTE_STATUS,     /* GET /status */
    TGS_ROUTE_RENDER,     /* GET /render */
    TGS_ROUTE_NOT_FOUND,  /* any other path */
    TGS_ROUTE_BAD_METHOD, /* not GET */
} tgs_viewer_route;

/* The route of a request line's method and path (the path without its query). */
tgs_viewer_route tgs_viewer_route_of(const char *method, const char *path);

/* What a frame may be. */
typedef struct {
    int n_cameras;             /* cam is 0..n_cameras-1 */
    int max_width, max_height; /* frame size */
    int sh_degree;             /* the model's: sh is 0..sh_degree */
} tgs_viewer_limits;

#define TGS_VIEWER_MIN_SIZE 16     /* smallest frame edge */
#define TGS_VIEWER_VALUE_MAX 512   /* longest parameter value (decoded) */

/* A parsed /render query. */
typedef struct {
    int cam;             /* camera index (cameras.json order), or -1: the pose below */
    int width, height;   /* 0: the default (the camera's size, or 800 x 600 for a pose, within the limits) */
    int sh_degree;       /* -1: the run's active degree */
    int has_bg;
    float bg[3];         /* with has_bg: the background, else the scene's */
    int quality;         /* JPEG quality 1..100 (default 85) */
    double pos[3];       /* pose: camera centre, world */
    double rot[9];       /* pose: camera-to-world rotation, rows (cameras.json's "rotation") */
    double fovy_deg;     /* pose: vertical field of view in degrees (default 50) */
} tgs_viewer_request;

/* Parses the query of GET /render (the text after '?', not yet
 * percent-decoded; len bytes, need not be NUL-terminated). Parameters:
 * cam (integer), pos (3 numbers), rot (9 numbers, orthonormal within 1e-3),
 * fov (degrees, 1..170), w, h (integers, TGS_VIEWER_MIN_SIZE..the limits),
 * sh (0..the model's degree), bg (black, white or RRGGBB hex), q (1..100).
 * Exactly one of cam or pos+rot. An unknown, repeated, empty, malformed or out
 * of range parameter is TGS_ERR_ARG with a message naming it. */
tgs_status tgs_viewer_parse_render(const char *query, size_t len, const tgs_viewer_limits *lim,
                                   tgs_viewer_request *out);
/* Parses the query of GET /status: cameras=0|1 (default 1: the list of cameras). */
tgs_status tgs_viewer_parse_status(const char *query, size_t len, int *with_cameras);

/* The view of request q: camera q->cam of cams (scaled to the asked width,
 * the height following its aspect; a frame over the limits shrinks to fit), or
 * the pose. bg and sh_degree come from the request when given, else from
 * these arguments. */
tgs_view tgs_viewer_request_view(const tgs_viewer_request *q, const tgs_viewer_limits *lim,
                                 const tgs_view *cams /*[n_cameras]*/, const float bg[3], int sh_degree);

/* ---- the server ---------------------------------------------------------- */

typedef struct tgs_viewer tgs_viewer;

typedef struct {
    const char *host;          /* address to bind: an IPv4 literal or "localhost" (NULL: 127.0.0.1) */
    int port;                  /* 0: an ephemeral port (tgs_viewer_port says which) */
    int max_width, max_height; /* largest frame the render function accepts */
    int sh_degree;             /* the model's */
    float bg[3];               /* the scene's background */
    /* Most of the time frames may take (0.05: a frame whose rendering and
     * JPEG encoding took t seconds is followed by none for 19 t); 0: no limit. */
    double frame_share;
    int training;              /* the owner is a training run (reported by /status) */
} tgs_viewer_options;

/* What /status reports; the owner publishes it. */
typedef struct {
    int iteration, iterations; /* iterations: of the run (0 when not training) */
    double loss;               /* smoothed training loss (NAN: none) */
    double psnr;               /* the last test PSNR (NAN: none yet) */
    double elapsed_s, eta_s;   /* NAN when not training */
    size_t count;              /* Gaussians */
    int sh_degree;             /* active degree (the default of a frame) */
    int done;                  /* training finished */
} tgs_viewer_stats;

/* Renders view v into img (float RGB, v->width x v->height, within the
 * options' size limits). Called by the owner's thread only. */
typedef tgs_status (*tgs_viewer_render_fn)(void *ctx, const tgs_view *v, float *img /*[H,W,3]*/);

/* Starts the server with the scene's cameras in cameras.json order (test
 * views, then training views; DESIGN §7). Fails with TGS_ERR_IO naming the
 * address when it cannot bind (a port in use). Allocates the frame buffer
 * (max_width x max_height) once. */
tgs_status tgs_viewer_create(const tgs_viewer_options *o, const tgs_scene *sc, tgs_viewer **out);
/* Stops the server: frame requests still waiting are released (503, or their
 * connection closed); returns when every connection thread is gone. NULL-safe. */
void tgs_viewer_destroy(tgs_viewer *v);
/* The port the server listens on. */
int tgs_viewer_port(const tgs_viewer *v);
/* The address clients open, "http://HOST:PORT/" (an IPv6 host in brackets), into buf [size]. */
void tgs_viewer_url(const tgs_viewer *v, char *buf, size_t size);
/* Warns on stderr when the server listens on anything but a loopback address
 * (127.x, ::1, localhost): whoever reaches it sees the model, unauthenticated. */
void tgs_viewer_warn_if_exposed(const tgs_viewer *v);

/* Replaces the status that /status reports. */
void tgs_viewer_publish(tgs_viewer *v, const tgs_viewer_stats *s);
/* If a frame request waits (and frame_share allows one now), renders it with
 * fn; otherwise returns at once (one atomic load). A render failure is
 * answered to the request (500) and not returned: only TGS_OK. */
tgs_status tgs_viewer_poll(tgs_viewer *v, tgs_viewer_render_fn fn, void *ctx);
/* Frames rendered so far and the seconds spent on them (rendering and encoding). */
void tgs_viewer_frames(tgs_viewer *v, long *frames, double *seconds);
/* Waits up to timeout_s for a frame request and renders it (tgs view's loop). */
tgs_status tgs_viewer_wait(tgs_viewer *v, double timeout_s, tgs_viewer_render_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif

#endif

/* server.c - the viewer's HTTP server (viewer.h): libmicrohttpd with a thread
 * per connection, the frame mailbox shared with the model's owner, and the
 * JSON of /status. */
#include "tgs/viewer.h"

#include "tgs/image.h"
#include "viewer/viewer_internal.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <math.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* Mailbox states: the slot is free, a request waits, the owner renders, the frame is ready. */
enum { SLOT_FREE, SLOT_POSTED, SLOT_RENDERING, SLOT_DONE };

#define POST_WAIT_S 60.0 /* a request that no owner took by then: 503 */

typedef struct {
    char name[TGS_NAME_MAX];
    int is_test;
    double center[3], c2w[9];
} camera_info;

struct tgs_viewer {
    struct MHD_Daemon *daemon;
    tgs_viewer_options opt;
    tgs_viewer_limits lim;
    int port;
    double center[3], extent;
    tgs_view *views;     /* [n_cameras], cameras.json order */
    camera_info *cams;   /* [n_cameras] */
    pthread_mutex_t mu;
    pthread_cond_t changed; /* any change of state, stats or stopping */
    int state, stopping;
    atomic_int posted;      /* state == SLOT_POSTED, read without the lock */
    tgs_view view;          /* the posted frame's view */
    tgs_status result;
    char result_msg[512];
    float *frame;           /* [max_height, max_width, 3] */
    double next_frame_at;   /* frame_share: no frame before this time (owner's clock, tgs_now) */
    long frames;            /* rendered so far */
    double frame_s;         /* time spent on them: rendering (the owner) and encoding */
    tgs_viewer_stats stats;
};

/* ---- responses ---------------------------------------------------------- */

static enum MHD_Result respond(struct MHD_Connection *c, unsigned code, const char *type, void *body, size_t n,
                               enum MHD_ResponseMemoryMode mode) {
    struct MHD_Response *r = MHD_create_response_from_buffer(n, body, mode);
    if (!r) {
        if (mode == MHD_RESPMEM_MUST_FREE)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET");
    enum MHD_Result ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result respond_text(struct MHD_Connection *c, unsigned code, const char *msg) {
    size_t n = strlen(msg);
    char *body = malloc(n + 2);
    if (!body)
        return MHD_NO;
    memcpy(body, msg, n);
    body[n] = '\n';
    body[n + 1] = '\0';
    return respond(c, code, "text/plain; charset=utf-8", body, n + 1, MHD_RESPMEM_MUST_FREE);
}

/* ---- /status ------------------------------------------------------------ */

static json_t *number_or_null(double x) { return isfinite(x) ? json_real(x) : json_null(); }

static json_t *doubles(const double *x, int n) {
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, json_real(x[i]));
    return a;
}

static json_t *camera_json(const tgs_viewer *v, int i) {
    const tgs_view *w = &v->views[i];
    const camera_info *c = &v->cams[i];
    json_t *rows = json_array();
    for (int r = 0; r < 3; r++)
        json_array_append_new(rows, doubles(c->c2w + 3 * r, 3));
    return json_pack("{s:i, s:s, s:s, s:i, s:i, s:f, s:f, s:o, s:o}", "id", i, "name", c->name, "split",
                     c->is_test ? "test" : "train", "width", w->width, "height", w->height, "fx", w->fx, "fy", w->fy,
                     "position", doubles(c->center, 3), "rotation", rows);
}

static enum MHD_Result serve_status(tgs_viewer *v, struct MHD_Connection *c, int with_cameras) {
    tgs_viewer_stats s;
    pthread_mutex_lock(&v->mu);
    s = v->stats;
    pthread_mutex_unlock(&v->mu);
    double bg[3] = {v->opt.bg[0], v->opt.bg[1], v->opt.bg[2]};
    json_t *j = json_pack("{s:b, s:b, s:i, s:i, s:o, s:o, s:I, s:o, s:o, s:i, s:i, s:i, s:i, s:o, s:o, s:f, s:i}",
                          "training", v->opt.training && !s.done, "done", s.done, "iteration", s.iteration,
                          "iterations", s.iterations, "loss", number_or_null(s.loss), "psnr", number_or_null(s.psnr),
                          "count", (json_int_t)s.count, "elapsed_s", number_or_null(s.elapsed_s), "eta_s",
                          number_or_null(s.eta_s), "sh_degree", s.sh_degree, "max_sh_degree", v->lim.sh_degree,
                          "max_width", v->lim.max_width, "max_height", v->lim.max_height, "background",
                          doubles(bg, 3), "center", doubles(v->center, 3), "extent", v->extent, "n_cameras",
                          v->lim.n_cameras);
    if (j && with_cameras) {
        json_t *cams = json_array();
        for (int i = 0; i < v->lim.n_cameras; i++)
            json_array_append_new(cams, camera_json(v, i));
        json_object_set_new(j, "cameras", cams);
    }
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text)
        return respond_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    return respond(c, MHD_HTTP_OK, "application/json", text, strlen(text), MHD_RESPMEM_MUST_FREE);
}

/* ---- /render: the mailbox ----------------------------------------------- */

static void deadline_in(struct timespec *ts, double s) {
    clock_gettime(CLOCK_REALTIME, ts);
    double ns = ts->tv_nsec + (s - floor(s)) * 1e9;
    ts->tv_sec += (time_t)floor(s) + (time_t)(ns / 1e9);
    ts->tv_nsec = (long)fmod(ns, 1e9);
}

/* Waits (lock held) while cond holds, until the deadline or stopping; 0 on timeout or stop. */
#define WAIT_WHILE(v, cond, ts)                                                               \
    do {                                                                                      \
        while ((cond) && !(v)->stopping)                                                      \
            if (pthread_cond_timedwait(&(v)->changed, &(v)->mu, (ts)) != 0 && (cond))         \
                break;                                                                        \
    } while (0)

/* Posts the view, waits for the frame and encodes it (the slot stays ours
 * until the JPEG is made). On failure, code and msg say what to answer. */
static unsigned render_frame(tgs_viewer *v, const tgs_view *view, int quality, unsigned char **jpeg, size_t *n,
                             char *msg, size_t msg_size) {
    struct timespec ts;
    deadline_in(&ts, POST_WAIT_S);
    pthread_mutex_lock(&v->mu);
    WAIT_WHILE(v, v->state != SLOT_FREE, &ts);
    if (v->state != SLOT_FREE || v->stopping) {
        pthread_mutex_unlock(&v->mu);
        snprintf(msg, msg_size, "the viewer is busy (another frame, or the run is stopping); try again");
        return MHD_HTTP_SERVICE_UNAVAILABLE;
    }
    v->view = *view;
    v->state = SLOT_POSTED;
    atomic_store(&v->posted, 1);
    pthread_cond_broadcast(&v->changed);
    deadline_in(&ts, POST_WAIT_S);
    WAIT_WHILE(v, v->state == SLOT_POSTED, &ts);
    if (v->state == SLOT_POSTED) { /* nobody took it: withdraw */
        atomic_store(&v->posted, 0);
        v->state = SLOT_FREE;
        pthread_cond_broadcast(&v->changed);
        pthread_mutex_unlock(&v->mu);
        snprintf(msg, msg_size, "no frame was rendered in %.0f s (the run is busy or stopping); try again",
                 POST_WAIT_S);
        return MHD_HTTP_SERVICE_UNAVAILABLE;
    }
    while (v->state == SLOT_RENDERING) /* the owner always finishes a frame it took */
        pthread_cond_wait(&v->changed, &v->mu);
    pthread_mutex_unlock(&v->mu);
    unsigned code = MHD_HTTP_OK;
    double t0 = tgs_now();
    if (v->result != TGS_OK) {
        snprintf(msg, msg_size, "rendering failed: %s", v->result_msg);
        code = MHD_HTTP_INTERNAL_SERVER_ERROR;
    } else if (tgs_image_encode_jpeg_f32(v->frame, view->width, view->height, quality, jpeg, n) != TGS_OK) {
        snprintf(msg, msg_size, "%s", tgs_error_message());
        code = MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
    double enc = tgs_now() - t0;
    pthread_mutex_lock(&v->mu);
    /* the encoding takes a core from a CPU run too: it counts as the frame's time */
    v->frame_s += enc;
    if (v->opt.frame_share > 0)
        v->next_frame_at += enc * (1 - v->opt.frame_share) / v->opt.frame_share;
    v->state = SLOT_FREE;
    pthread_cond_broadcast(&v->changed);
    pthread_mutex_unlock(&v->mu);
    return code;
}

static enum MHD_Result serve_render(tgs_viewer *v, struct MHD_Connection *c, const char *query, size_t qlen) {
    tgs_viewer_request q;
    if (tgs_viewer_parse_render(query, qlen, &v->lim, &q) != TGS_OK)
        return respond_text(c, MHD_HTTP_BAD_REQUEST, tgs_error_message());
    pthread_mutex_lock(&v->mu);
    int sh = v->stats.sh_degree;
    pthread_mutex_unlock(&v->mu);
    tgs_view view = tgs_viewer_request_view(&q, &v->lim, v->views, v->opt.bg, sh);
    unsigned char *jpeg = NULL;
    size_t n = 0;
    char msg[640];
    unsigned code = render_frame(v, &view, q.quality, &jpeg, &n, msg, sizeof msg);
    if (code != MHD_HTTP_OK)
        return respond_text(c, code, msg);
    return respond(c, MHD_HTTP_OK, "image/jpeg", jpeg, n, MHD_RESPMEM_MUST_FREE);
}

/* Renders the posted frame (lock held on entry and exit). */
static void render_posted(tgs_viewer *v, tgs_viewer_render_fn fn, void *ctx) {
    v->state = SLOT_RENDERING;
    atomic_store(&v->posted, 0);
    tgs_view view = v->view;
    pthread_mutex_unlock(&v->mu);
    double t0 = tgs_now();
    tgs_status st = fn(ctx, &view, v->frame);
    double t1 = tgs_now();
    pthread_mutex_lock(&v->mu);
    v->result = st;
    v->frames++;
    v->frame_s += t1 - t0;
    snprintf(v->result_msg, sizeof v->result_msg, "%s", st == TGS_OK ? "" : tgs_error_message());
    if (v->opt.frame_share > 0)
        v->next_frame_at = t1 + (t1 - t0) * (1 - v->opt.frame_share) / v->opt.frame_share;
    v->state = SLOT_DONE;
    pthread_cond_broadcast(&v->changed);
}

tgs_status tgs_viewer_poll(tgs_viewer *v, tgs_viewer_render_fn fn, void *ctx) {
    if (!v || !atomic_load_explicit(&v->posted, memory_order_relaxed))
        return TGS_OK;
    pthread_mutex_lock(&v->mu);
    if (v->state == SLOT_POSTED && (v->opt.frame_share <= 0 || tgs_now() >= v->next_frame_at))
        render_posted(v, fn, ctx);
    pthread_mutex_unlock(&v->mu);
    return TGS_OK;
}

tgs_status tgs_viewer_wait(tgs_viewer *v, double timeout_s, tgs_viewer_render_fn fn, void *ctx) {
    struct timespec ts;
    deadline_in(&ts, timeout_s);
    pthread_mutex_lock(&v->mu);
    WAIT_WHILE(v, v->state != SLOT_POSTED, &ts);
    if (v->state == SLOT_POSTED)
        render_posted(v, fn, ctx);
    pthread_mutex_unlock(&v->mu);
    return TGS_OK;
}

void tgs_viewer_frames(tgs_viewer *v, long *frames, double *seconds) {
    pthread_mutex_lock(&v->mu);
    *frames = v->frames;
    *seconds = v->frame_s;
    pthread_mutex_unlock(&v->mu);
}

void tgs_viewer_publish(tgs_viewer *v, const tgs_viewer_stats *s) {
    if (!v)
        return;
    pthread_mutex_lock(&v->mu);
    v->stats = *s;
    pthread_mutex_unlock(&v->mu);
}

/* ---- requests ----------------------------------------------------------- */

/* The raw URI (with its query, not yet decoded) of each request, kept for the handler. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c) {
    (void)cls;
    (void)c;
    size_t n = strnlen(uri, 8192);
    char *copy = malloc(n + 1);
    if (copy) {
        memcpy(copy, uri, n);
        copy[n] = '\0';
    }
    return copy;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode toe) {
    (void)cls;
    (void)c;
    (void)toe;
    free(*req_cls);
    *req_cls = NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **req_cls) {
    tgs_viewer *v = cls;
    (void)version;
    (void)upload_data;
    tgs_viewer_route route = tgs_viewer_route_of(method, url);
    if (route == TGS_ROUTE_BAD_METHOD)
        return respond_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET is served");
    if (*upload_data_size != 0) { /* a GET with a body: drop it */
        *upload_data_size = 0;
        return MHD_YES;
    }
    const char *uri = *req_cls;
    if (!uri)
        return respond_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    const char *q = strchr(uri, '?');
    const char *query = q ? q + 1 : "";
    size_t qlen = strlen(query);
    switch (route) {
    case TGS_ROUTE_PAGE: /* its query is read by the page's script (cam, w, sh, bg, q, bare) */
        return respond(c, MHD_HTTP_OK, "text/html; charset=utf-8", (void *)tgs_viewer_page, tgs_viewer_page_size,
                       MHD_RESPMEM_PERSISTENT);
    case TGS_ROUTE_STATUS: {
        int with_cameras;
        if (tgs_viewer_parse_status(query, qlen, &with_cameras) != TGS_OK)
            return respond_text(c, MHD_HTTP_BAD_REQUEST, tgs_error_message());
        return serve_status(v, c, with_cameras);
    }
    case TGS_ROUTE_RENDER:
        return serve_render(v, c, query, qlen);
    default:
        return respond_text(c, MHD_HTTP_NOT_FOUND, "not found (paths: /, /status, /render)");
    }
}

/* ---- lifetime ----------------------------------------------------------- */

static const char *host_of(const tgs_viewer *v) { return v->opt.host ? v->opt.host : "127.0.0.1"; }

static int is_loopback(const char *host) {
    if (strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0)
        return 1;
    struct in_addr a;
    return inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

void tgs_viewer_url(const tgs_viewer *v, char *buf, size_t size) {
    const char *host = host_of(v);
    const int v6 = strchr(host, ':') != NULL;
    snprintf(buf, size, "http://%s%s%s:%d/", v6 ? "[" : "", host, v6 ? "]" : "", v->port);
}

void tgs_viewer_warn_if_exposed(const tgs_viewer *v) {
    if (!is_loopback(host_of(v)))
        fprintf(stderr, "tgs: warning: the viewer listens on %s: anyone who can reach it sees the model (no "
                "authentication); prefer the default 127.0.0.1 and an SSH tunnel\n", host_of(v));
}

/* The cameras in cameras.json order, as views and as records for /status. */
static tgs_status copy_cameras(tgs_viewer *v, const tgs_scene *sc) {
    int n = sc->n_test + sc->n_train;
    v->lim.n_cameras = n;
    v->views = tgs_calloc((size_t)TGS_MAX(n, 1), sizeof *v->views, "viewer cameras");
    v->cams = tgs_calloc((size_t)TGS_MAX(n, 1), sizeof *v->cams, "viewer cameras");
    if (!v->views || !v->cams)
        return TGS_ERR_NOMEM;
    for (int i = 0; i < n; i++) {
        const tgs_camera *c = &sc->cameras[i < sc->n_test ? sc->test_idx[i] : sc->train_idx[i - sc->n_test]];
        v->views[i] = tgs_view_from_camera(c, v->opt.bg, v->opt.sh_degree);
        snprintf(v->cams[i].name, sizeof v->cams[i].name, "%s", c->image_name);
        v->cams[i].is_test = i < sc->n_test;
        for (int k = 0; k < 3; k++) {
            v->cams[i].center[k] = c->center[k];
            for (int j = 0; j < 3; j++)
                v->cams[i].c2w[k * 3 + j] = c->R[j * 3 + k];
        }
    }
    memcpy(v->center, sc->center, sizeof v->center);
    v->extent = sc->extent;
    return TGS_OK;
}

static tgs_status start_daemon(tgs_viewer *v) {
    const char *host = host_of(v);
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    char port[16];
    snprintf(port, sizeof port, "%d", v->opt.port);
    int e = getaddrinfo(host, port, &hints, &ai);
    if (e != 0 || !ai)
        return TGS_FAIL(TGS_ERR_ARG, "viewer address %s: %s", host, e ? gai_strerror(e) : "no address");
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    v->daemon = MHD_start_daemon(flags, (uint16_t)v->opt.port, NULL, NULL, on_request, v, MHD_OPTION_SOCK_ADDR,
                                 ai->ai_addr, MHD_OPTION_URI_LOG_CALLBACK, on_uri, v, MHD_OPTION_NOTIFY_COMPLETED,
                                 on_completed, v, MHD_OPTION_CONNECTION_LIMIT, 16u, MHD_OPTION_CONNECTION_TIMEOUT,
                                 60u, MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!v->daemon)
        return TGS_FAIL(TGS_ERR_IO, "cannot serve the viewer on %s port %d (in use? try another --port)", host,
                        v->opt.port);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(v->daemon, MHD_DAEMON_INFO_BIND_PORT);
    v->port = info ? info->port : v->opt.port;
    return TGS_OK;
}

tgs_status tgs_viewer_create(const tgs_viewer_options *o, const tgs_scene *sc, tgs_viewer **out) {
    *out = NULL;
    if (o->port < 0 || o->port > 65535)
        return TGS_FAIL(TGS_ERR_ARG, "viewer port %d is out of range (expected 0..65535)", o->port);
    if (o->max_width < TGS_VIEWER_MIN_SIZE || o->max_height < TGS_VIEWER_MIN_SIZE || o->max_width > 16384 ||
        o->max_height > 16384)
        return TGS_FAIL(TGS_ERR_ARG, "viewer frames of %dx%d (expected %d..16384)", o->max_width, o->max_height,
                        TGS_VIEWER_MIN_SIZE);
    tgs_viewer *v = tgs_calloc(1, sizeof *v, "viewer");
    if (!v)
        return TGS_ERR_NOMEM;
    v->opt = *o;
    v->lim.max_width = o->max_width;
    v->lim.max_height = o->max_height;
    v->lim.sh_degree = o->sh_degree;
    v->stats = (tgs_viewer_stats){0, 0, NAN, NAN, NAN, NAN, 0, o->sh_degree, 0};
    pthread_mutex_init(&v->mu, NULL);
    pthread_cond_init(&v->changed, NULL);
    atomic_init(&v->posted, 0);
    tgs_status st = copy_cameras(v, sc);
    if (st == TGS_OK) {
        v->frame = tgs_calloc((size_t)o->max_width * o->max_height, 3 * sizeof(float), "viewer frame");
        st = v->frame ? TGS_OK : TGS_ERR_NOMEM;
    }
    if (st == TGS_OK)
        st = start_daemon(v);
    if (st != TGS_OK) {
        tgs_viewer_destroy(v);
        return st;
    }
    *out = v;
    return TGS_OK;
}

void tgs_viewer_destroy(tgs_viewer *v) {
    if (!v)
        return;
    pthread_mutex_lock(&v->mu);
    v->stopping = 1;
    pthread_cond_broadcast(&v->changed);
    pthread_mutex_unlock(&v->mu);
    if (v->daemon)
        MHD_stop_daemon(v->daemon);
    pthread_cond_destroy(&v->changed);
    pthread_mutex_destroy(&v->mu);
    free(v->views);
    free(v->cams);
    free(v->frame);
    free(v);
}

int tgs_viewer_port(const tgs_viewer *v) { return v->port; }

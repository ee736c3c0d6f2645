/* test_viewer.c - the live viewer (tgs/viewer.h):
 *   - the query parser and the routes on good and bad input;
 *   - a server in this process (ephemeral port) on a two-camera scene whose
 *     "renderer" paints a known pattern: /status JSON, /render JPEGs that
 *     decode and match the pattern, 400/404/405, requests from several threads;
 *   - the real thing on data/tiny_fox: a short training, `tgs render`, then
 *     `tgs view --port 0` whose /render?cam=K must match `tgs render`'s image
 *     of camera K within 30 dB PSNR (JPEG at q=95), and `tgs train --viewer`
 *     answering /status and /render while it trains (on the GPU when there is one).
 * TGS_VIEW_DEVICE=cuda runs `tgs view` with the CUDA renderer (default cpu). */
#include "check.h"

#include "tgs/image.h"
#include "tgs/loss.h"
#include "tgs/viewer.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

static void nap_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- a tiny HTTP client -------------------------------------------------- */

typedef struct {
    int code;
    char type[64];
    unsigned char *body; /* malloc'd, NUL-terminated */
    size_t n;
} reply;

static void reply_free(reply *r) {
    free(r->body);
    memset(r, 0, sizeof *r);
}

/* METHOD path over HTTP/1.0 to 127.0.0.1:port; code -1 when the exchange failed. */
static reply http(int port, const char *method, const char *path) {
    reply r = {-1, "", NULL, 0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (fd >= 0)
            close(fd);
        return r;
    }
    char req[4096];
    int len = snprintf(req, sizeof req, "%s %s HTTP/1.0\r\nHost: localhost\r\n\r\n", method, path);
    if (write(fd, req, (size_t)len) != len) {
        close(fd);
        return r;
    }
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap + 1);
    ssize_t got;
    while ((got = read(fd, buf + n, cap - n)) > 0) {
        n += (size_t)got;
        if (n == cap)
            buf = realloc(buf, (cap *= 2) + 1);
    }
    close(fd);
    buf[n] = 0;
    char *sep = strstr((char *)buf, "\r\n\r\n");
    if (!sep || sscanf((char *)buf, "HTTP/1.%*d %d", &r.code) != 1) {
        free(buf);
        return r;
    }
    *sep = 0;
    char *ct = strstr((char *)buf, "\r\nContent-Type: ");
    if (ct)
        sscanf(ct + 16, "%63[^\r\n]", r.type);
    r.n = n - (size_t)(sep + 4 - (char *)buf);
    r.body = malloc(r.n + 1);
    memcpy(r.body, sep + 4, r.n);
    r.body[r.n] = 0;
    free(buf);
    return r;
}

/* Decodes a JPEG reply to float RGB (malloc'd); NULL when it is not one. */
static float *decode_jpeg(const reply *r, int *w, int *h) {
    char dir[128], path[160];
    check_tmpdir(dir, sizeof dir, "viewer_jpeg");
    snprintf(path, sizeof path, "%s/f.jpg", dir);
    check_write_bytes(path, r->body, r->n);
    tgs_image im;
    float *out = NULL;
    if (tgs_image_load(path, &im) == TGS_OK && im.channels == 3) {
        *w = im.width;
        *h = im.height;
        out = malloc((size_t)im.width * im.height * 3 * sizeof(float));
        tgs_image_to_float(im.data, (size_t)im.width * im.height, out);
        tgs_image_free(&im);
    }
    unlink(path);
    rmdir(dir);
    return out;
}

/* ---- the parser ----------------------------------------------------------- */

static void test_parser(void) {
    const tgs_viewer_limits lim = {3, 640, 480, 2};
    tgs_viewer_request q;
    const char *good[] = {"cam=0", "cam=2&w=320", "cam=1&w=16&sh=0&bg=white&q=90", "cam=0&bg=FF8000",
                          "pos=1,2,3&rot=1,0,0,0,1,0,0,0,1", "pos=1%2C2%2C3&rot=0,1,0,-1,0,0,0,0,1&fov=60&w=64&h=48",
                          "cam=1&bg=black"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        CHECK(tgs_viewer_parse_render(good[i], strlen(good[i]), &lim, &q) == TGS_OK, "refused '%s': %s", good[i],
              tgs_error_message());
    CHECK_OK(tgs_viewer_parse_render("cam=2&w=320&sh=1&bg=ff0000&q=50", 31, &lim, &q));
    CHECK(q.cam == 2 && q.width == 320 && q.sh_degree == 1 && q.has_bg && q.bg[0] == 1.0f && q.bg[1] == 0.0f &&
              q.quality == 50, "parsed values");
    CHECK_OK(tgs_viewer_parse_render("pos=1,2,3&rot=1,0,0,0,1,0,0,0,1", 31, &lim, &q));
    CHECK(q.cam == -1 && q.pos[2] == 3 && q.rot[4] == 1 && q.fovy_deg == 50 && q.quality == 85, "pose defaults");
    const char *bad[] = {"", "cam=", "cam", "cam=-1", "cam=3", "cam=abc", "cam=1.5", "cam=0x1", "cam= 1",
                         "cam=99999999999999999999", "cam=0&w=100000", "cam=0&w=15", "cam=0&w=-5", "cam=0&h=10",
                         "cam=0&sh=3", "cam=0&q=0", "cam=0&bg=red", "cam=0&bg=12345g", "cam=0&cam=1", "cam=0&x=1",
                         "cam=0&", "&cam=0", "cam=%", "cam=%4", "cam=%00", "cam=0&pos=1,2,3",
                         "pos=nan,0,0&rot=1,0,0,0,1,0,0,0,1", "pos=inf,0,0&rot=1,0,0,0,1,0,0,0,1",
                         "pos=0,0&rot=1,0,0,0,1,0,0,0,1", "pos=0,0,0,0&rot=1,0,0,0,1,0,0,0,1",
                         "pos=1e300,0,0&rot=1,0,0,0,1,0,0,0,1", "pos=0,0,0&rot=1,0,0,0,1,0,0,0,2",
                         "pos=0,0,0&rot=1,0,0,0,1,0,0,0,-1", "pos=0,0,0", "rot=1,0,0,0,1,0,0,0,1",
                         "pos=0,0,0&rot=1,0,0,0,1,0,0,0,1&fov=0", "pos=0,0,0&rot=1,0,0,0,1,0,0,0,1&fov=nan",
                         "pos=0,0,0&rot=1,0,0,0,1,0,0,0,1&w=641"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        tgs_status st = tgs_viewer_parse_render(bad[i], strlen(bad[i]), &lim, &q);
        CHECK(st == TGS_ERR_ARG && tgs_error_message()[0], "accepted '%s'", bad[i]);
    }
    char longq[2048] = "cam=0&bg=";
    memset(longq + 9, '0', 1500);
    CHECK(tgs_viewer_parse_render(longq, strlen(longq), &lim, &q) == TGS_ERR_ARG, "a long value");
    int cams;
    CHECK(tgs_viewer_parse_status("", 0, &cams) == TGS_OK && cams == 1, "status default");
    CHECK(tgs_viewer_parse_status("cameras=0", 9, &cams) == TGS_OK && cams == 0, "status cameras=0");
    CHECK(tgs_viewer_parse_status("cameras=2", 9, &cams) == TGS_ERR_ARG, "status cameras=2");
    CHECK(tgs_viewer_parse_status("x=1", 3, &cams) == TGS_ERR_ARG, "status unknown");
    CHECK(tgs_viewer_route_of("GET", "/") == TGS_ROUTE_PAGE && tgs_viewer_route_of("GET", "/status") ==
              TGS_ROUTE_STATUS && tgs_viewer_route_of("GET", "/render") == TGS_ROUTE_RENDER, "routes");
    CHECK(tgs_viewer_route_of("GET", "/render/") == TGS_ROUTE_NOT_FOUND &&
              tgs_viewer_route_of("GET", "/../etc/passwd") == TGS_ROUTE_NOT_FOUND &&
              tgs_viewer_route_of("POST", "/status") == TGS_ROUTE_BAD_METHOD &&
              tgs_viewer_route_of("HEAD", "/") == TGS_ROUTE_BAD_METHOD, "other routes");
    /* a frame over the limits shrinks to fit, keeping the camera's aspect */
    tgs_view cam = {0};
    cam.width = 1000;
    cam.height = 500;
    cam.fx = cam.fy = 800;
    const tgs_viewer_limits one = {1, 640, 480, 0};
    CHECK_OK(tgs_viewer_parse_render("cam=0", 5, &one, &q));
    tgs_view v = tgs_viewer_request_view(&q, &one, &cam, (float[3]){0, 0, 0}, 0);
    CHECK(v.width == 640 && v.height == 320 && fabs(v.fx - 512) < 1e-9, "fitted %dx%d fx %g", v.width, v.height,
          v.fx);
}

/* ---- a server in this process ---------------------------------------------- */

/* A pattern that depends on the view: red ramp across, green down, blue = bg. */
static tgs_status paint(void *ctx, const tgs_view *v, float *img) {
    (*(int *)ctx)++;
    for (int y = 0; y < v->height; y++)
        for (int x = 0; x < v->width; x++) {
            float *p = img + ((size_t)y * v->width + x) * 3;
            p[0] = (float)x / v->width;
            p[1] = (float)y / v->height;
            p[2] = v->bg[2];
        }
    return TGS_OK;
}

typedef struct {
    tgs_viewer *v;
    volatile int stop;
    int frames;
} owner;

static void *owner_loop(void *arg) {
    owner *o = arg;
    while (!o->stop)
        tgs_viewer_wait(o->v, 0.05, paint, &o->frames);
    return NULL;
}

typedef struct {
    int port, ok;
} client_arg;

static void *client(void *arg) {
    client_arg *c = arg;
    for (int i = 0; i < 5; i++) {
        reply r = http(c->port, "GET", "/render?cam=1&w=40");
        c->ok += r.code == 200 && strcmp(r.type, "image/jpeg") == 0;
        reply_free(&r);
    }
    return NULL;
}

static void check_code(int port, const char *method, const char *path, int code) {
    reply r = http(port, method, path);
    CHECK(r.code == code, "%s %s: %d (expected %d): %s", method, path, r.code, code, r.body ? (char *)r.body : "");
    if (code >= 400)
        CHECK(r.n > 0 && strncmp(r.type, "text/plain", 10) == 0, "%s %s: no message", method, path);
    reply_free(&r);
}

static void check_status(int port) {
    reply r = http(port, "GET", "/status");
    CHECK(r.code == 200 && strcmp(r.type, "application/json") == 0, "/status: %d %s", r.code, r.type);
    json_error_t je;
    json_t *j = r.body ? json_loads((char *)r.body, 0, &je) : NULL;
    CHECK(j != NULL, "/status is not JSON: %s", r.body ? (char *)r.body : "");
    if (j) {
        json_t *c = json_object_get(j, "cameras");
        CHECK(json_is_true(json_object_get(j, "training")) &&
                  json_integer_value(json_object_get(j, "iteration")) == 42 &&
                  json_integer_value(json_object_get(j, "count")) == 1234 &&
                  fabs(json_number_value(json_object_get(j, "psnr")) - 21.5) < 1e-12 &&
                  fabs(json_number_value(json_object_get(j, "loss")) - 0.125) < 1e-12 &&
                  json_integer_value(json_object_get(j, "n_cameras")) == 2 && json_array_size(c) == 2,
              "/status fields: %s", r.body);
        /* cameras.json order: the test camera first */
        json_t *c0 = json_array_get(c, 0);
        CHECK(strcmp(json_string_value(json_object_get(c0, "name")), "view1") == 0 &&
                  strcmp(json_string_value(json_object_get(c0, "split")), "test") == 0 &&
                  fabs(json_number_value(json_array_get(json_object_get(c0, "position"), 2)) + 5) < 1e-12,
              "/status camera 0: %s", r.body);
        json_decref(j);
    }
    reply_free(&r);
    r = http(port, "GET", "/status?cameras=0");
    CHECK(r.code == 200 && r.body && !strstr((char *)r.body, "\"cameras\""), "/status?cameras=0");
    reply_free(&r);
    r = http(port, "GET", "/");
    CHECK(r.code == 200 && strncmp(r.type, "text/html", 9) == 0 && r.body && strstr((char *)r.body, "/render"),
          "the page: %d %s", r.code, r.type);
    reply_free(&r);
}

/* Frames: the pattern at the asked size, through JPEG. */
static void check_frames(int port) {
    reply r = http(port, "GET", "/render?cam=0&w=40&q=95");
    int w = 0, h = 0;
    float *img = r.code == 200 ? decode_jpeg(&r, &w, &h) : NULL;
    CHECK(img && w == 40 && h == 30, "/render?cam=0&w=40: %d, %dx%d", r.code, w, h);
    if (img) {
        float *want = malloc((size_t)w * h * 3 * sizeof(float));
        int n = 0;
        tgs_view pv = {.width = w, .height = h, .bg = {0, 0, 1}};
        paint(&n, &pv, want);
        double psnr = tgs_psnr(img, want, NULL, w, h);
        CHECK(psnr > 35, "frame PSNR %.2f dB against the pattern", psnr);
        free(want);
    }
    free(img);
    reply_free(&r);
    r = http(port, "GET", "/render?pos=0,0,-3&rot=1,0,0,0,1,0,0,0,1&w=64&h=48&bg=000000");
    img = r.code == 200 ? decode_jpeg(&r, &w, &h) : NULL;
    CHECK(img && w == 64 && h == 48 && img[2] < 0.05f, "pose frame: %d %dx%d", r.code, w, h);
    free(img);
    reply_free(&r);
}

static void check_refusals(int port) {
    const char *bad[] = {"/render?cam=-1", "/render?cam=2", "/render?cam=x", "/render?cam=0&w=100000",
                         "/render?cam=0&w=0", "/render?pos=nan,0,0&rot=1,0,0,0,1,0,0,0,1", "/render",
                         "/render?cam=0&sh=2", "/status?cameras=7"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        check_code(port, "GET", bad[i], 400);
    check_code(port, "GET", "/?bare=1&cam=1", 200); /* the page reads its own query */
    check_code(port, "GET", "/etc/passwd", 404);
    check_code(port, "GET", "/../../etc/passwd", 404);
    check_code(port, "GET", "/render/../status", 404); /* paths are compared, never resolved */
    check_code(port, "POST", "/render?cam=0", 405);
    check_code(port, "PUT", "/status", 405);
    check_code(port, "DELETE", "/", 405);
}

/* Several clients at once: each frame is rendered by the owner, one at a time. */
static void check_clients(int port, owner *ow) {
    pthread_t cl[4];
    client_arg ca[4];
    int before = ow->frames;
    for (int i = 0; i < 4; i++) {
        ca[i] = (client_arg){port, 0};
        pthread_create(&cl[i], NULL, client, &ca[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(cl[i], NULL);
        CHECK(ca[i].ok == 5, "client %d: %d of 5 frames", i, ca[i].ok);
    }
    CHECK(ow->frames - before == 20, "the owner rendered %d frames (expected 20)", ow->frames - before);
}

typedef struct {
    int port, code;
} waiter_arg;

static void *waiter(void *arg) {
    waiter_arg *w = arg;
    reply r = http(w->port, "GET", "/render?cam=0");
    w->code = r.code;
    reply_free(&r);
    return NULL;
}

static void test_server(void) {
    tgs_camera cams[2];
    memset(cams, 0, sizeof cams);
    for (int i = 0; i < 2; i++) {
        snprintf(cams[i].image_name, sizeof cams[i].image_name, "view%d", i);
        cams[i].width = 80;
        cams[i].height = 60;
        cams[i].fovx = cams[i].fovy = 1.0;
        cams[i].R[0] = cams[i].R[4] = cams[i].R[8] = 1;
        cams[i].center[2] = -4.0 - i;
        cams[i].t[2] = 4.0 + i;
    }
    int test_idx[1] = {1}, train_idx[1] = {0};
    tgs_scene sc;
    memset(&sc, 0, sizeof sc);
    sc.n_cameras = 2;
    sc.cameras = cams;
    sc.n_train = sc.n_test = 1;
    sc.train_idx = train_idx;
    sc.test_idx = test_idx;
    sc.extent = 2;
    tgs_viewer_options o = {NULL, 0, 160, 120, 1, {0, 0, 1}, 0, 1};
    tgs_viewer *v = NULL;
    CHECK_OK(tgs_viewer_create(&o, &sc, &v));
    if (!v)
        return;
    int port = tgs_viewer_port(v);
    CHECK(port > 0, "port %d", port);
    tgs_viewer_stats st = {42, 100, 0.125, 21.5, 3, 4, 1234, 1, 0};
    tgs_viewer_publish(v, &st);
    owner ow = {v, 0, 0};
    pthread_t th;
    pthread_create(&th, NULL, owner_loop, &ow);
    check_status(port);
    check_frames(port);
    check_refusals(port);
    check_clients(port, &ow);
    ow.stop = 1;
    pthread_join(th, NULL);
    /* with no owner left, destroying the server releases a waiting request (503, or
     * its connection closed as the server stops) instead of hanging */
    waiter_arg wa = {port, 0};
    pthread_t wt;
    pthread_create(&wt, NULL, waiter, &wa);
    nap_ms(300);
    tgs_viewer_destroy(v);
    pthread_join(wt, NULL);
    CHECK(wa.code == 503 || wa.code == -1, "a frame request waiting at shutdown: %d (expected 503)", wa.code);
    tgs_viewer_destroy(NULL);
}

/* ---- the commands on a trained model ---------------------------------------- */

/* Starts argv[] with stdout and stderr into log; returns the pid. */
static pid_t spawn(char *const argv[], const char *log) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        FILE *f = freopen(log, "w", stdout);
        (void)f;
        dup2(1, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

/* The port in "viewer at http://HOST:PORT/" of a log, waiting up to 60 s; 0 if none. */
static int port_in_log(const char *log, pid_t pid) {
    for (int t = 0; t < 600; t++) {
        unsigned char *text = NULL;
        long n = check_read_all(log, &text);
        int port = 0;
        if (n > 0) {
            text[n] = 0;
            char *p = strstr((char *)text, "viewer at http://127.0.0.1:");
            if (p)
                port = atoi(p + strlen("viewer at http://127.0.0.1:"));
        }
        free(text);
        if (port > 0)
            return port;
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return 0;
        nap_ms(100);
    }
    return 0;
}

static int run(const char *cmd) {
    fflush(NULL);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

#define TRAIN_ARGS "-s " TGS_REPO_DIR "/data/tiny_fox -i images -r 2 --eval --densify_from_iter 50 " \
    "--densification_interval 50 --densify_until_iter 250 --budget 1.5 --seed 7 --threads 2"

/* The free camera at camera k's pose (cameras.json's position and rotation,
 * vertical fov from fy) renders what cam=k renders (fx and fy differ by a
 * fraction of a percent on tiny_fox). */
static void check_pose_matches_camera(int port, int k) {
    reply r = http(port, "GET", "/status");
    json_error_t je;
    json_t *j = r.code == 200 ? json_loads((char *)r.body, 0, &je) : NULL;
    json_t *c = json_array_get(json_object_get(j, "cameras"), (size_t)k);
    CHECK(c != NULL, "no camera %d in /status", k);
    if (c) {
        char path[1024];
        int w = (int)json_integer_value(json_object_get(c, "width"));
        int h = (int)json_integer_value(json_object_get(c, "height"));
        double fy = json_number_value(json_object_get(c, "fy"));
        json_t *p = json_object_get(c, "position"), *rot = json_object_get(c, "rotation");
        int n = snprintf(path, sizeof path, "/render?q=95&w=%d&h=%d&fov=%.9f&pos=%.12g,%.12g,%.12g&rot=", w, h,
                         2 * atan(h / (2 * fy)) * 180 / M_PI, json_number_value(json_array_get(p, 0)),
                         json_number_value(json_array_get(p, 1)), json_number_value(json_array_get(p, 2)));
        for (int i = 0; i < 9; i++)
            n += snprintf(path + n, sizeof path - (size_t)n, "%s%.12g", i ? "," : "",
                          json_number_value(json_array_get(json_array_get(rot, (size_t)(i / 3)), (size_t)(i % 3))));
        reply a = http(port, "GET", path);
        char cam_path[64];
        snprintf(cam_path, sizeof cam_path, "/render?q=95&cam=%d", k);
        reply b = http(port, "GET", cam_path);
        int wa = 0, ha = 0, wb = 0, hb = 0;
        float *ia = a.code == 200 ? decode_jpeg(&a, &wa, &ha) : NULL;
        float *ib = b.code == 200 ? decode_jpeg(&b, &wb, &hb) : NULL;
        CHECK(ia && ib && wa == wb && ha == hb, "pose frame %d (%dx%d), camera frame %d (%dx%d): %s", a.code, wa, ha,
              b.code, wb, hb, a.body ? (char *)a.body : "");
        if (ia && ib && wa == wb && ha == hb) {
            double psnr = tgs_psnr(ia, ib, NULL, wa, ha);
            printf("tgs view: the pose of camera %d vs cam=%d: PSNR %.2f dB\n", k, k, psnr);
            CHECK(psnr > 30, "the pose of camera %d renders another view: PSNR %.2f dB", k, psnr);
        }
        free(ia);
        free(ib);
        reply_free(&a);
        reply_free(&b);
    }
    json_decref(j);
    reply_free(&r);
}

/* `tgs view` of a trained model: camera K's frame against `tgs render`'s image of it. */
static void test_view_command(const char *dir) {
    char cmd[2048], model[512], log[600], png[700];
    snprintf(model, sizeof model, "%s/model", dir);
    snprintf(cmd, sizeof cmd, TGS_BIN " train " TRAIN_ARGS " --iterations 300 --test_iterations 300 -q -m %s",
             model);
    CHECK(run(cmd) == 0, "training failed: %s", cmd);
    snprintf(cmd, sizeof cmd, TGS_BIN " render -m %s -q --threads 2", model);
    CHECK(run(cmd) == 0, "tgs render failed");
    snprintf(log, sizeof log, "%s/view.log", dir);
    /* TGS_VIEW_DEVICE=cuda: the same checks with the CUDA renderer (on a GPU machine) */
    char device[16];
    snprintf(device, sizeof device, "%s", getenv("TGS_VIEW_DEVICE") ? getenv("TGS_VIEW_DEVICE") : "cpu");
    char *argv[] = {TGS_BIN, "view", "-m", model, "--port", "0", "--threads", "2", "--device", device, NULL};
    pid_t pid = spawn(argv, log);
    int port = port_in_log(log, pid);
    CHECK(port > 0, "tgs view did not print its address");
    if (port > 0) {
        reply r = http(port, "GET", "/status");
        CHECK(r.code == 200 && r.body && strstr((char *)r.body, "\"training\":false") &&
                  strstr((char *)r.body, "\"iteration\":300") && strstr((char *)r.body, "\"split\":\"test\""),
              "tgs view /status: %s", r.body ? (char *)r.body : "");
        reply_free(&r);
        const int cams[2] = {0, 3}; /* cameras.json order: test views first */
        for (int k = 0; k < 2; k++) {
            char path[64];
            snprintf(path, sizeof path, "/render?cam=%d&q=95", cams[k]);
            r = http(port, "GET", path);
            int w = 0, h = 0;
            float *img = r.code == 200 ? decode_jpeg(&r, &w, &h) : NULL;
            snprintf(png, sizeof png, "%s/test/ours_300/renders/%05d.png", model, cams[k]);
            tgs_image ref;
            CHECK_OK(tgs_image_load(png, &ref));
            CHECK(img && ref.width == w && ref.height == h, "frame %dx%d, tgs render %dx%d", w, h, ref.width,
                  ref.height);
            if (img && ref.width == w && ref.height == h) {
                float *want = malloc((size_t)w * h * 3 * sizeof(float));
                tgs_image_to_float(ref.data, (size_t)w * h, want);
                double psnr = tgs_psnr(img, want, NULL, w, h);
                printf("tgs view /render?cam=%d (%dx%d) vs tgs render: PSNR %.2f dB\n", cams[k], w, h, psnr);
                CHECK(psnr > 30, "camera %d: PSNR %.2f dB against tgs render (expected > 30)", cams[k], psnr);
                free(want);
            }
            tgs_image_free(&ref);
            free(img);
            reply_free(&r);
        }
        check_pose_matches_camera(port, 2);
        check_code(port, "GET", "/render?cam=50", 400);
        check_code(port, "GET", "/render?cam=0&w=100000", 400);
    }
    kill(pid, SIGINT);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "tgs view did not stop cleanly on SIGINT (%d)", status);
    /* a port in use: one clear line, exit 1 */
    if (port > 0) {
        tgs_scene none;
        memset(&none, 0, sizeof none);
        tgs_viewer_options o = {NULL, 0, 64, 64, 0, {0, 0, 0}, 0, 0};
        tgs_viewer *held = NULL;
        CHECK_OK(tgs_viewer_create(&o, &none, &held));
        snprintf(cmd, sizeof cmd, TGS_BIN " view -m %s --port %d -q >%s 2>&1", model,
                 held ? tgs_viewer_port(held) : 1, log);
        CHECK(run(cmd) == 1, "tgs view on a port in use did not fail");
        tgs_viewer_destroy(held);
    }
}

/* `tgs train --viewer`: /status and /render answer while it trains. */
static void test_train_viewer(const char *dir) {
    char model[512], log[600];
    snprintf(model, sizeof model, "%s/live", dir);
    snprintf(log, sizeof log, "%s/train.log", dir);
    char *argv[] = {TGS_BIN, "train", "-s", TGS_REPO_DIR "/data/tiny_fox", "-i", "images", "-r", "2", "--eval",
                    "--iterations", "800", "--test_iterations", "100", "--budget", "1.5", "--densify_from_iter",
                    "50", "--densification_interval", "50", "--densify_until_iter", "250", "--threads", "2", "-m",
                    model, "--viewer", "--port", "0", NULL};
    pid_t pid = spawn(argv, log);
    int port = port_in_log(log, pid);
    CHECK(port > 0, "tgs train --viewer did not print its address");
    int seen_training = 0, frames = 0, last_it = -1, rising = 0;
    for (int t = 0; port > 0 && t < 100 && (!seen_training || frames < 3); t++) {
        reply r = http(port, "GET", "/status?cameras=0");
        json_error_t je;
        json_t *j = r.code == 200 ? json_loads((char *)r.body, 0, &je) : NULL;
        if (j && json_is_true(json_object_get(j, "training"))) {
            seen_training = 1;
            int it = (int)json_integer_value(json_object_get(j, "iteration"));
            rising += it > last_it && last_it >= 0;
            last_it = it;
            CHECK(json_integer_value(json_object_get(j, "iterations")) == 800 &&
                      json_integer_value(json_object_get(j, "count")) > 0 &&
                      (it == 0 || json_is_number(json_object_get(j, "eta_s"))),
                  "training /status: %s", r.body);
        }
        json_decref(j);
        reply_free(&r);
        r = http(port, "GET", "/render?cam=1&sh=0&bg=white");
        int w, h;
        float *img = r.code == 200 ? decode_jpeg(&r, &w, &h) : NULL;
        frames += img != NULL;
        free(img);
        reply_free(&r);
        nap_ms(100);
    }
    CHECK(seen_training && rising >= 1 && frames >= 3, "while training: status %d, iterations rising %d, frames %d",
          seen_training, rising, frames);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "tgs train --viewer failed (%d)", status);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    test_parser();
    test_server();
    char dir[128];
    check_require_path(TGS_REPO_DIR "/data/tiny_fox");
    check_tmpdir(dir, sizeof dir, "viewer");
    test_view_command(dir);
    test_train_viewer(dir);
    if (!check_failures) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        run(cmd);
    }
    return check_report("test_viewer");
}

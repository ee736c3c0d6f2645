/* view.c - `tgs view`: serves a trained model to the browser (tgs/viewer.h)
 * until Ctrl-C, rendering each frame in this thread on the CPU or the GPU. */
#include "cli/args.h"
#include "cli/commands.h"

#include "tgs/gaussians.h"
#include "tgs/viewer.h"
#include "viewer/renderer.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#define NOPTS(a) ((int)(sizeof(a) / sizeof((a)[0])))

typedef struct {
    const char *model, *source, *images, *ply, *host;
    int resolution, eval, white, iteration, opacity, port, device, max_width, threads, quiet;
} view_args;

static const char *const view_opacity[] = {"logit", "linear", NULL};
static const char *const view_devices[] = {"auto", "cpu", "cuda", NULL}; /* tgs_device_kind */

#define VA(field) offsetof(view_args, field)
static const tgs_opt view_opts[] = {
    {"model_path", 'm', OPT_STRING, VA(model), .help = "model folder (its cfg_args names the scene)"},
    {"source_path", 's', OPT_STRING, VA(source), .help = "scene folder (default: from the model's cfg_args)"},
    {"images", 'i', OPT_STRING, VA(images), .help = "image folder (default: from cfg_args, else images)"},
    {"resolution", 'r', OPT_INT, VA(resolution), .def = -2, .help = "resolution rule (-2: from cfg_args, else -1)"},
    {"eval", 0, OPT_FLAG, VA(eval), .help = "use the --eval split (default: from cfg_args)"},
    {"white_background", 'w', OPT_FLAG, VA(white), .help = "white background (default: from cfg_args)"},
    {"iteration", 0, OPT_INT, VA(iteration), .def = -1, .help = "which saved iteration (-1: the latest)"},
    {"ply", 0, OPT_STRING, VA(ply), .help = "view this 3DGS PLY instead of the model's"},
    {"opacity", 0, OPT_CHOICE, VA(opacity), .choices = view_opacity, .help = "how the PLY's opacity field is stored"},
    {"port", 0, OPT_INT, VA(port), .def = 7007, .help = "port to serve on (0: any free port)"},
    {"host", 0, OPT_STRING, VA(host), .def_str = "127.0.0.1",
     .help = "address to bind (another than loopback exposes the viewer to the network)"},
    {"device", 0, OPT_CHOICE, VA(device), .choices = view_devices,
     .help = "renderer (auto: cuda when a GPU is present)"},
    {"max_width", 0, OPT_INT, VA(max_width), .def = 1600,
     .help = "largest frame edge (frames of the cameras' own size are always allowed)"},
    {"threads", 0, OPT_INT, VA(threads), .help = "CPU threads (0: all cores)"},
    {"quiet", 'q', OPT_FLAG, VA(quiet), .help = "print only errors and the address"},
};

static volatile sig_atomic_t view_stop = 0;

static void on_view_signal(int sig) {
    (void)sig;
    view_stop = 1;
}

/* Serves until SIGINT or SIGTERM. */
static int serve(const view_args *a, const tgs_scene *sc, const tgs_gaussians *g, int iteration) {
    int mw = 0, mh = 0;
    for (int i = 0; i < sc->n_cameras; i++)
        mw = TGS_MAX(mw, sc->cameras[i].width), mh = TGS_MAX(mh, sc->cameras[i].height);
    mw = TGS_MAX(mw, a->max_width); /* free views of any aspect up to max_width x max_width */
    mh = TGS_MAX(mh, a->max_width);
    tgs_view_renderer *r = NULL;
    tgs_viewer *v = NULL;
    tgs_viewer_options o = {a->host, a->port, mw, mh, g->sh_degree, {0, 0, 0}, 0, 0};
    memcpy(o.bg, sc->background, sizeof o.bg);
    if (tgs_view_renderer_create(g, (tgs_device_kind)a->device, mw, mh, &r) != TGS_OK ||
        tgs_viewer_create(&o, sc, &v) != TGS_OK) {
        tgs_view_renderer_destroy(r);
        return tgs_cli_fail();
    }
    tgs_viewer_stats st = {iteration, 0, NAN, NAN, NAN, NAN, g->n, g->sh_degree, 0};
    tgs_viewer_publish(v, &st);
    tgs_viewer_warn_if_exposed(v);
    char url[320];
    tgs_viewer_url(v, url, sizeof url);
    printf("tgs: viewer at %s (%zu Gaussians, %s renderer; Ctrl-C to stop)\n", url, g->n,
           tgs_view_renderer_backend(r));
    fflush(stdout);
    tgs_cli_on_stop_signals(on_view_signal);
    while (!view_stop)
        tgs_viewer_wait(v, 0.2, tgs_view_renderer_render, r);
    tgs_viewer_destroy(v);
    tgs_view_renderer_destroy(r);
    if (!a->quiet)
        printf("tgs: viewer stopped\n");
    return 0;
}

int tgs_cmd_view(int argc, char **argv) {
    view_args a;
    memset(&a, 0, sizeof a);
    tgs_opts_defaults(view_opts, NOPTS(view_opts), &a);
    char err[512];
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: tgs view -m MODEL [--port 7007] [--host ADDR] [options]\n\noptions [default]:\n");
            tgs_args_help(view_opts, NOPTS(view_opts), &a, stdout);
            return 0;
        }
    if (tgs_args_parse(view_opts, NOPTS(view_opts), &a, argc, argv, err, sizeof err) < 0) {
        fprintf(stderr, "tgs view: error: %s\n", err);
        return 2;
    }
    if (!a.model) {
        fprintf(stderr, "tgs view: error: -m/--model_path is required\n");
        return 2;
    }
    if (a.port < 0 || a.port > 65535 || a.max_width < TGS_VIEWER_MIN_SIZE || a.max_width > 16384) {
        fprintf(stderr, "tgs view: error: --port must be 0..65535 and --max_width %d..16384\n", TGS_VIEWER_MIN_SIZE);
        return 2;
    }
    tgs_set_threads(a.threads);
    tgs_cli_model m = {a.model, a.source, a.images, a.ply, NULL, a.resolution, a.eval, a.white, 0, a.iteration, a.quiet};
    tgs_scene sc;
    char ply_path[TGS_PATH_MAX + 64];
    int r = tgs_cli_open_model("view", &m, &sc, ply_path, sizeof ply_path);
    if (r >= 0)
        return r;
    tgs_gaussians *g = NULL;
    if (tgs_gaussians_read_file(ply_path, a.opacity ? TGS_OPACITY_LINEAR : TGS_OPACITY_LOGIT, &g, NULL) != TGS_OK)
        r = tgs_cli_fail();
    else
        r = serve(&a, &sc, g, m.iteration);
    tgs_gaussians_destroy(g);
    tgs_scene_free(&sc);
    return r;
}

/* main.c - the tgs command: train, render, metrics, info, export, view. The only place
 * that exits: library errors come back as a status and one line of context. */
#include "cli/args.h"
#include "cli/commands.h"

#include "tgs/common.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(f, "tgs %s - Taming 3D Gaussian Splatting\n\n"
               "usage: tgs <command> [options]\n\n"
               "commands:\n"
               "  train     train a scene (COLMAP or Blender) to a Gaussian budget\n"
               "  render    render the train/test views of a trained model (or any 3DGS PLY)\n"
               "  metrics   PSNR and SSIM of rendered views against the ground truth\n"
               "  info      describe a scene: cameras, images, points, split, extent\n"
               "  export    write a model as SPZ, .splat or compressed PLY for web viewers\n"
               "  view      watch a model in the browser (an HTTP server on 127.0.0.1:7007)\n\n"
               "'tgs <command> --help' lists the command's options with their defaults.\n",
            TGS_VERSION);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("tgs %s\n", TGS_VERSION);
        return 0;
    }
    int rc;
    if (strcmp(cmd, "train") == 0)
        rc = tgs_cmd_train(argc - 2, argv + 2);
    else if (strcmp(cmd, "render") == 0)
        rc = tgs_cmd_render(argc - 2, argv + 2);
    else if (strcmp(cmd, "metrics") == 0)
        rc = tgs_cmd_metrics(argc - 2, argv + 2);
    else if (strcmp(cmd, "info") == 0)
        rc = tgs_cmd_info(argc - 2, argv + 2);
    else if (strcmp(cmd, "export") == 0)
        rc = tgs_cmd_export(argc - 2, argv + 2);
    else if (strcmp(cmd, "view") == 0)
        rc = tgs_cmd_view(argc - 2, argv + 2);
    else {
        fprintf(stderr, "tgs: error: unknown command '%s' (expected train, render, metrics, info, export or view)\n",
                cmd);
        return 2;
    }
    return rc;
}

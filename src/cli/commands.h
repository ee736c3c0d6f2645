/* commands.h - the subcommands of tgs. Each parses its options, runs, prints
 * what it did, and returns the process exit code (0 ok, 1 failure, 2 usage). */
#ifndef TGS_CLI_COMMANDS_H
#define TGS_CLI_COMMANDS_H

#include "tgs/scene.h"

#include <stddef.h>

#define TGS_VERSION "0.1.0"

int tgs_cmd_train(int argc, char **argv);
int tgs_cmd_render(int argc, char **argv);
int tgs_cmd_metrics(int argc, char **argv);
int tgs_cmd_info(int argc, char **argv);
int tgs_cmd_export(int argc, char **argv);
int tgs_cmd_view(int argc, char **argv);

/* A model folder as `tgs render` and `tgs view` read it: the scene from -s or
 * the model's cfg_args (resolution -2: from cfg_args), the PLY from --ply or
 * point_cloud/iteration_N (iteration -1: the latest, filled in). */
typedef struct {
    const char *model, *source, *images, *ply, *masks;
    int resolution, eval, white, alpha_mask, iteration, quiet;
} tgs_cli_model;
/* Loads a->model's scene into sc and names its PLY in ply_path; returns -1
 * when it did, else the exit code (the error printed). */
int tgs_cli_open_model(const char *cmd, tgs_cli_model *a, tgs_scene *sc, char *ply_path /*[n]*/,
                       size_t n);

/* Calls handler on SIGINT and SIGTERM (Ctrl-C, kill). */
void tgs_cli_on_stop_signals(void (*handler)(int));

/* Prints "tgs: error: <message>" for the last library error; returns 1. */
int tgs_cli_fail(void);

#endif

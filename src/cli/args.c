/* args.c - see args.h. */
#include "cli/args.h"

#include "tgs/train.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int parse_int(const char *s, int *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < INT32_MIN || v > INT32_MAX)
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_u64(const char *s, uint64_t *out) {
    char *end;
    errno = 0;
    if (*s == '-')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

static int parse_double(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

/* Finds the option for "--name" (exact, else a unique prefix) or "-x". */
static const tgs_opt *lookup(const tgs_opt *opts, int n, const char *arg, size_t len, int is_short, char *err,
                             size_t es) {
    if (is_short) {
        for (int i = 0; i < n; i++)
            if (opts[i].short_name && opts[i].short_name == arg[0] && len == 1)
                return &opts[i];
        snprintf(err, es, "unknown option -%.*s (see --help)", (int)len, arg);
        return NULL;
    }
    const tgs_opt *found = NULL;
    int matches = 0;
    for (int i = 0; i < n; i++) {
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, arg, len) == 0)
            return &opts[i];
        if (strncmp(opts[i].name, arg, len) == 0) {
            found = &opts[i];
            matches++;
        }
    }
    if (matches == 1)
        return found;
    if (matches > 1)
        snprintf(err, es, "option --%.*s is ambiguous (see --help)", (int)len, arg);
    else
        snprintf(err, es, "unknown option --%.*s (see --help)", (int)len, arg);
    return NULL;
}

/* The values of list option o: the one after '=' (eq, or NULL) and the
 * arguments that follow up to the next option; *i moves past them. Returns 0,
 * or -1 with the message in err. */
static int parse_list(const tgs_opt *o, void *base, const char *shown, const char *eq, int argc, char **argv, int *i,
                      char *err, size_t es) {
    int *list = TGS_OPT_FIELD(base, o, int), cnt = 0;
    const char *vals[TGS_MAX_ITER_LIST + 1];
    int nv = 0;
    if (eq)
        vals[nv++] = eq + 1;
    while (*i + 1 < argc && argv[*i + 1][0] != '-' && nv <= TGS_MAX_ITER_LIST)
        vals[nv++] = argv[++*i];
    if (nv == 0) {
        snprintf(err, es, "%s expects one or more integers", shown);
        return -1;
    }
    if (nv > TGS_MAX_ITER_LIST) {
        snprintf(err, es, "%s takes at most %d values", shown, TGS_MAX_ITER_LIST);
        return -1;
    }
    for (int k = 0; k < nv; k++)
        if (parse_int(vals[k], &list[cnt++]) != 0 || list[cnt - 1] < 0) {
            snprintf(err, es, "%s: '%s' is not a non-negative integer", shown, vals[k]);
            return -1;
        }
    *TGS_OPT_COUNT(base, o) = cnt;
    return 0;
}

int tgs_args_parse(const tgs_opt *opts /*[n]*/, int n, void *base, int argc, char **argv, char *err, size_t es) {
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return 1;
        if (a[0] != '-' || a[1] == '\0') {
            snprintf(err, es, "unexpected argument '%s' (options start with --; see --help)", a);
            return -1;
        }
        int is_short = a[1] != '-';
        const char *name = a + (is_short ? 1 : 2);
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const tgs_opt *o = lookup(opts, n, name, len, is_short, err, es);
        if (!o)
            return -1;
        char shown[96];
        if (o->short_name && is_short)
            snprintf(shown, sizeof shown, "-%c", o->short_name);
        else
            snprintf(shown, sizeof shown, "--%s", o->name);
        int wants = o->type != OPT_FLAG && !(o->type == OPT_IGNORED && !o->takes_value);
        if (!wants) {
            if (eq) {
                snprintf(err, es, "%s takes no value", shown);
                return -1;
            }
            if (o->type == OPT_FLAG)
                *TGS_OPT_FIELD(base, o, int) = 1;
            continue;
        }
        if (o->type == OPT_INT_LIST) {
            if (parse_list(o, base, shown, eq, argc, argv, &i, err, es) != 0)
                return -1;
            continue;
        }
        const char *val;
        if (eq)
            val = eq + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        else {
            snprintf(err, es, "%s expects a value", shown);
            return -1;
        }
        int bad = 0;
        switch (o->type) {
        case OPT_INT: bad = parse_int(val, TGS_OPT_FIELD(base, o, int)); break;
        case OPT_U64: bad = parse_u64(val, TGS_OPT_FIELD(base, o, uint64_t)); break;
        case OPT_DOUBLE: bad = parse_double(val, TGS_OPT_FIELD(base, o, double)); break;
        case OPT_STRING:
            bad = val[0] == '\0';
            *TGS_OPT_FIELD(base, o, const char *) = val;
            break;
        case OPT_CHOICE: {
            bad = 1;
            for (int k = 0; o->choices[k]; k++)
                if (strcmp(o->choices[k], val) == 0) {
                    *TGS_OPT_FIELD(base, o, int) = k;
                    bad = 0;
                }
            if (bad) {
                int w = snprintf(err, es, "%s: '%s' is not one of", shown, val);
                for (int k = 0; o->choices[k] && w > 0 && (size_t)w < es; k++)
                    w += snprintf(err + w, es - (size_t)w, " %s", o->choices[k]);
                return -1;
            }
            break;
        }
        default: break;
        }
        if (bad) {
            const char *what = o->type == OPT_INT ? "an integer"
                             : o->type == OPT_U64 ? "a non-negative integer"
                             : o->type == OPT_DOUBLE ? "a finite number" : "a non-empty value";
            snprintf(err, es, "%s: '%s' is not %s", shown, val, what);
            return -1;
        }
    }
    return 0;
}

void tgs_args_help(const tgs_opt *opts /*[n]*/, int n, const void *base, FILE *f) {
    for (int i = 0; i < n; i++) {
        const tgs_opt *o = &opts[i];
        char left[80], def[128] = "";
        const char *meta = o->type == OPT_INT ? " N" : o->type == OPT_U64 ? " N" : o->type == OPT_DOUBLE ? " X"
                         : o->type == OPT_STRING ? " S" : o->type == OPT_INT_LIST ? " N [N ...]"
                         : o->type == OPT_CHOICE ? " C" : (o->type == OPT_IGNORED && o->takes_value) ? " V" : "";
        if (o->short_name)
            snprintf(left, sizeof left, "-%c, --%s%s", o->short_name, o->name, meta);
        else
            snprintf(left, sizeof left, "    --%s%s", o->name, meta);
        switch (o->type) {
        case OPT_FLAG: snprintf(def, sizeof def, "%s", *TGS_OPT_FIELD(base, o, const int) ? "on" : "off"); break;
        case OPT_INT: snprintf(def, sizeof def, "%d", *TGS_OPT_FIELD(base, o, const int)); break;
        case OPT_U64: snprintf(def, sizeof def, "%" PRIu64, *TGS_OPT_FIELD(base, o, const uint64_t)); break;
        case OPT_DOUBLE: snprintf(def, sizeof def, "%g", *TGS_OPT_FIELD(base, o, const double)); break;
        case OPT_STRING: {
            const char *s = *TGS_OPT_FIELD(base, o, const char *const);
            snprintf(def, sizeof def, "%s", s ? s : "none");
            break;
        }
        case OPT_INT_LIST: {
            int w = 0, cnt = *TGS_OPT_COUNT(base, o);
            const int *list = TGS_OPT_FIELD(base, o, const int);
            for (int k = 0; k < cnt && w < (int)sizeof def - 12; k++)
                w += snprintf(def + w, sizeof def - (size_t)w, "%s%d", k ? " " : "", list[k]);
            if (cnt == 0)
                snprintf(def, sizeof def, "none");
            break;
        }
        case OPT_CHOICE: {
            int w = snprintf(def, sizeof def, "%s; one of", o->choices[*TGS_OPT_FIELD(base, o, const int)]);
            for (int k = 0; o->choices[k] && w < (int)sizeof def - 20; k++)
                w += snprintf(def + w, sizeof def - (size_t)w, " %s", o->choices[k]);
            break;
        }
        case OPT_IGNORED: snprintf(def, sizeof def, "accepted, ignored"); break;
        }
        fprintf(f, "  %-36s %s [%s]\n", left, o->help, def);
    }
}

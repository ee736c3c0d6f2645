/* options.c - see options.h. */
#include "train/options.h"

#include "tgs/train.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void tgs_opts_defaults(const tgs_opt *opts /*[n]*/, int n, void *base) {
    for (int i = 0; i < n; i++) {
        const tgs_opt *o = &opts[i];
        switch (o->type) {
        case OPT_FLAG:
        case OPT_INT:
        case OPT_CHOICE: *TGS_OPT_FIELD(base, o, int) = (int)o->def; break;
        case OPT_U64: *TGS_OPT_FIELD(base, o, uint64_t) = (uint64_t)o->def; break;
        case OPT_DOUBLE: *TGS_OPT_FIELD(base, o, double) = o->def; break;
        case OPT_STRING: *TGS_OPT_FIELD(base, o, const char *) = o->def_str; break;
        case OPT_INT_LIST: {
            int *list = TGS_OPT_FIELD(base, o, int), k = 0;
            for (; o->def_list && o->def_list[k] >= 0 && k < TGS_MAX_ITER_LIST; k++)
                list[k] = o->def_list[k];
            *TGS_OPT_COUNT(base, o) = k;
            break;
        }
        case OPT_IGNORED: break;
        }
    }
}

tgs_status tgs_opts_check(const tgs_opt *opts /*[n]*/, int n, const void *base) {
    for (int i = 0; i < n; i++) {
        const tgs_opt *o = &opts[i];
        if (o->rule && !o->rule->ok((const char *)base + o->offset)) {
            char shown[8] = "";
            if (o->short_name)
                snprintf(shown, sizeof shown, "-%c/", o->short_name);
            return TGS_FAIL(TGS_ERR_ARG, "%s--%s %s", shown, o->name, o->rule->text);
        }
    }
    return TGS_OK;
}

/* Appends printf-formatted text to buf (truncating at size). */
static void append(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t size, const char *fmt, ...) {
    size_t len = strnlen(buf, size);
    if (len + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
}

void tgs_opts_settings(const tgs_opt *opts /*[n]*/, int n, const void *base, char *buf /*[size]*/, size_t size) {
    for (int i = 0; i < n; i++) {
        const tgs_opt *o = &opts[i];
        if (!(o->use & TGS_OPT_SETTING))
            continue;
        append(buf, size, " %s=", o->name);
        const void *v = (const char *)base + o->offset;
        switch (o->type) {
        case OPT_FLAG:
        case OPT_INT: append(buf, size, "%d", *(const int *)v); break;
        case OPT_CHOICE: append(buf, size, "%s", o->choices[*(const int *)v]); break;
        case OPT_U64: append(buf, size, "%llu", (unsigned long long)*(const uint64_t *)v); break;
        case OPT_DOUBLE: append(buf, size, "%.17g", *(const double *)v); break;
        case OPT_STRING: append(buf, size, "%s", *(const char *const *)v ? *(const char *const *)v : ""); break;
        case OPT_INT_LIST: {
            int cnt = *TGS_OPT_COUNT(base, o);
            for (int k = 0; k < cnt; k++)
                append(buf, size, "%s%d", k ? "," : "", ((const int *)v)[k]);
            break;
        }
        case OPT_IGNORED: break;
        }
    }
}

void tgs_opts_cfg_args(const tgs_opt *opts /*[n]*/, int n, const void *base, void *out) {
    for (int i = 0; i < n; i++) {
        const tgs_opt *o = &opts[i];
        if (o->cfg_args_size == 0)
            continue;
        void *dst = (char *)out + o->cfg_args_offset;
        const void *v = (const char *)base + o->offset;
        if (o->type == OPT_STRING && *(const char *const *)v)
            snprintf(dst, o->cfg_args_size, "%s", *(const char *const *)v);
        else if ((o->type == OPT_INT || o->type == OPT_FLAG) && o->cfg_args_size == sizeof(int))
            memcpy(dst, v, sizeof(int));
    }
}
